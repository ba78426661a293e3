"""Enterprise sign-in: ID-token claims to a user and roles, refusals, and the audit trail."""

import json

import pytest

from core.catalog import identity
from core.errors import InputError

MAPPING = identity.role_map(
    {
        "groups_claim": "groups",
        "roles": {
            "switchyard-admins": "admin",
            "switchyard-owners": "eval_owner",
            "switchyard-managers": ["manager"],
            "switchyard-reviewers": "sme",
            "leads": ["manager", "eval_owner"],
        },
    }
)


def claims(**extra):
    """Claims as Authlib hands them to st.user: the ID token's, plus the profile ones."""
    return {
        "iss": "http://127.0.0.1:9400",
        "sub": "olivia",
        "aud": "switchyard",
        "iat": 1796000000,
        "email": "olivia@example.com",
        "name": "Olivia Owner",
        **extra,
    }


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        (["switchyard-owners"], ("eval_owner",)),
        (["switchyard-admins", "switchyard-reviewers"], ("sme", "admin")),
        (["leads", "switchyard-managers"], ("eval_owner", "manager")),
        (["unknown", "switchyard-reviewers"], ("sme",)),  # unmapped groups give nothing
        ("switchyard-managers", ("manager",)),  # a single group sent as a string
    ],
)
def test_roles_are_those_of_every_mapped_group_in_role_order(groups, roles):
    user = identity.resolve(claims(groups=groups), MAPPING)
    assert isinstance(user, identity.Identity)
    assert user.roles == roles
    assert (user.username, user.name) == ("olivia@example.com", "Olivia Owner")
    assert user.sign_in_id == "olivia@1796000000"


def test_username_falls_back_to_preferred_username_then_subject():
    no_email = claims(groups=["switchyard-owners"], email=None, preferred_username="oli")
    assert identity.resolve(no_email, MAPPING).username == "oli"
    bare = {"sub": "00u1abcd", "groups": ["switchyard-owners"]}
    user = identity.resolve(bare, MAPPING)
    assert (user.username, user.name) == ("00u1abcd", "00u1abcd")


def test_the_groups_claim_name_is_a_setting():
    cognito = identity.role_map({"groups_claim": "cognito:groups", "roles": {"reviewers": "sme"}})
    user = identity.resolve(claims(**{"cognito:groups": ["reviewers"]}), cognito)
    assert user.roles == ("sme",)
    # the default claim is "groups"; the Cognito user's "groups" (absent) decides nothing there
    assert identity.role_map({"roles": {"reviewers": "sme"}}).claim == "groups"
    assert isinstance(identity.resolve(claims(groups=["x"]), cognito), identity.Refusal)


def test_an_unknown_group_is_refused_with_its_name_in_the_message():
    refused = identity.resolve(claims(groups=["contractors", "sales"]), MAPPING)
    assert isinstance(refused, identity.Refusal)
    assert refused.message.startswith("olivia@example.com: none of your groups")
    assert "(contractors, sales)" in refused.message


def test_a_missing_or_empty_claim_is_refused_and_says_which_claim():
    missing = identity.resolve(claims(), MAPPING)
    assert isinstance(missing, identity.Refusal)
    assert "no 'groups' claim" in missing.message
    empty = identity.resolve(claims(groups=[]), MAPPING)
    assert isinstance(empty, identity.Refusal)
    assert "you are in no group" in empty.message


def test_no_mapping_refuses_everyone():
    refused = identity.resolve(claims(groups=["switchyard-admins"]), identity.role_map(None))
    assert isinstance(refused, identity.Refusal)


@pytest.mark.parametrize(
    ("section", "key", "problem"),
    [
        ({"roles": {"owners": "owner"}}, "roles", "group 'owners': expected one or more of"),
        ({"roles": {"owners": []}}, "roles", "group 'owners': expected"),
        ({"roles": {"owners": ["sme", 3]}}, "roles", "group 'owners': expected"),
        ({"roles": "eval_owner"}, "roles", "expected a table of group = role"),
        ({"groups_claim": ""}, "groups_claim", "expected a claim name"),
    ],
)
def test_a_bad_mapping_names_the_key_and_the_roles_allowed(section, key, problem):
    with pytest.raises(InputError) as raised:
        identity.role_map(section)
    assert raised.value.column == key
    assert problem in str(raised.value)
    assert str(raised.value).startswith("secrets.toml [identity], column")


def audit_rows(con):
    rows = con.execute(
        "SELECT actor, action, entity, entity_id, after FROM audit ORDER BY seq"
    ).fetchall()
    return [(*row[:4], json.loads(row[4])) for row in rows]


def test_a_sign_in_is_audited_once_per_id_token(con):
    user = identity.resolve(claims(groups=["switchyard-owners"]), MAPPING)
    assert identity.record(con, user) is True
    # a reload opens a new browser session with the same cookie: not a new sign-in
    assert identity.record(con, user) is False
    again = identity.resolve(claims(groups=["switchyard-owners"], iat=1796003600), MAPPING)
    assert identity.record(con, again) is True
    identity.record_sign_out(con, again)
    assert audit_rows(con) == [
        (
            "olivia@example.com",
            "sign_in_oidc",
            "app_user",
            "olivia@example.com",
            {
                "sign_in": "olivia@1796000000",
                "issuer": "http://127.0.0.1:9400",
                "groups": ["switchyard-owners"],
                "roles": ["eval_owner"],
            },
        ),
        (
            "olivia@example.com",
            "sign_in_oidc",
            "app_user",
            "olivia@example.com",
            {
                "sign_in": "olivia@1796003600",
                "issuer": "http://127.0.0.1:9400",
                "groups": ["switchyard-owners"],
                "roles": ["eval_owner"],
            },
        ),
        (
            "olivia@example.com",
            "sign_out_oidc",
            "app_user",
            "olivia@example.com",
            {"sign_in": "olivia@1796003600"},
        ),
    ]


def test_a_refusal_is_audited_with_the_groups_that_were_refused(con):
    refused = identity.resolve(claims(sub="mallory", email="m@example.com", groups=["x"]), MAPPING)
    assert identity.record(con, refused) is True
    assert identity.record(con, refused) is False
    assert audit_rows(con) == [
        (
            "m@example.com",
            "refuse_oidc",
            "app_user",
            "m@example.com",
            {"sign_in": "mallory@1796000000", "issuer": "http://127.0.0.1:9400", "groups": ["x"]},
        )
    ]


REVIEWERS = identity.role_map({"roles": {"switchyard-reviewers": "sme"}})


def test_an_sme_from_the_provider_is_a_reviewer_with_a_queue(demo_con):
    # Before linking, "rita@example.com" had no app_user row: the Sampling page could not
    # offer her and she never had an assignment.
    from core.catalog import migrations, users
    from core.review import queue, sampling

    con = demo_con(400)
    rita = identity.resolve(
        claims(sub="rita", email="rita@example.com", name="Rita", groups=["switchyard-reviewers"]),
        REVIEWERS,
    )
    assert "rita@example.com" not in users.reviewers(con)
    linked = identity.link(con, rita)
    assert linked is not None and linked.username == "rita@example.com"
    assert "rita@example.com" in users.reviewers(con)  # the Sampling page's "Assign to" list
    (mig,) = migrations.list_migrations(con)
    source = migrations.source_run(con, mig["migration_id"])
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    params = sampling.SampleParams(seed=7, reviewers=(linked.username,))
    sample_id = sampling.create(con, mig["migration_id"], source, target, params, actor="owner")
    slots = queue.queue(con, linked.username)
    assert slots and {s.sample_id for s in slots} == {sample_id}
    row = con.execute(
        "SELECT name, email, roles, origin FROM app_user WHERE username = 'rita@example.com'"
    ).fetchone()
    assert row == ("Rita", "rita@example.com", ["sme"], "oidc")
    created = con.execute(
        "SELECT actor, json_extract(after, '$.created') FROM audit WHERE action = 'link_user'"
    ).fetchall()
    assert created == [("rita@example.com", "true")]
    assert identity.link(con, rita) == linked  # the next sign-in: matched, nothing written
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'link_user'").fetchone() == (1,)


def test_a_provider_user_is_matched_to_the_local_account_of_their_email(con):
    from core.catalog import users

    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    owner = identity.resolve(claims(email="OWNER@example.com", groups=["leads"]), MAPPING)
    linked = identity.link(con, owner)
    assert linked is not None and linked.username == "owner"
    # the local account takes the claim's roles (and name), audited with what it had
    assert users.get(con, "owner").roles == ("eval_owner", "manager")
    before = con.execute(
        "SELECT json_extract(before, '$.roles')::VARCHAR FROM audit WHERE action = 'link_user'"
    ).fetchall()
    assert before == [('["eval_owner"]',)]


def test_a_created_account_has_no_password_that_signs_in(con):
    from core.catalog import sessions

    rita = identity.resolve(claims(sub="r", email="r@example.com", groups=["leads"]), MAPPING)
    identity.link(con, rita)
    with pytest.raises(sessions.SignInRefused, match="wrong"):
        sessions.sign_in(con, "r@example.com", identity.UNUSABLE_HASH, 12)
    why = "SELECT json_extract_string(after, '$.why') FROM audit WHERE action = 'sign_in_failed'"
    assert con.execute(why).fetchall() == [("password",)]


def test_an_unverified_email_matches_no_local_account(con):
    from core.catalog import users

    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    claimed = claims(sub="mallory", email="admin@example.com", email_verified=False)
    linked = identity.link(con, identity.resolve({**claimed, "groups": ["leads"]}, MAPPING))
    assert linked is not None and linked.username == "admin@example.com"
    assert users.get(con, "admin").roles == ("admin",)  # untouched


def test_a_provider_user_an_admin_disabled_is_turned_away(con):
    from core.catalog import users

    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    users.update(con, "sme1", actor="admin", disabled=True)
    sme1 = claims(sub="s", email="sme1@example.com", groups=["switchyard-reviewers"])
    assert identity.link(con, identity.resolve(sme1, MAPPING)) is None
