"""Switchyard: the entry script is only a router. Sign-in first; then the pages the user's
roles allow (ui.navigation). Each page also checks sign-in and role itself, because a deep
link can reach a page before this file's first navigation run."""

import streamlit as st

import core  # noqa: F401  (turns third-party telemetry off before anything else loads)
from core.catalog import users
from ui import auth, navigation, store

# An emoji icon is drawn by the browser itself: a :material/: page icon makes it fetch the
# favicon from fonts.gstatic.com (nothing may leave the machine).
st.set_page_config(page_title="Switchyard", page_icon="🔀", layout="wide")

user = auth.current_user() or auth.sign_in_form()
if user is None:
    # Every page's address answers with the sign-in form (a deep link once met "Page not
    # found"), and the address stays, so signing in lands on the page that was asked for.
    menu = st.navigation(
        [st.Page(auth.signed_out_page, title="Sign in", url_path="signin")]
        + [st.Page(auth.signed_out_page, title=p.title, url_path=p.url) for p in navigation.PAGES],
        position="hidden",
    )
else:
    # Every page is registered, so a link to a forbidden one runs that page's own guard (which
    # says the role has no access) instead of falling back to Home; the menu lists the
    # user's pages only. .streamlit/config.toml hides Streamlit's own menu (it would list the
    # pages/ files before the first navigation run), so the menu is drawn here.
    allowed = navigation.pages_for(user.roles)
    # The app's root runs the role's first page. It is registered apart from that page's own
    # address: a default page answers only at the root, so '/review' met "Page not found".
    first = allowed[0] if allowed else navigation.PAGES[0]  # (no role: its guard refuses)
    root = st.Page(first.path, title=first.title, url_path="start", default=True)
    pages = {
        p.url: st.Page(
            p.path,
            title=p.title,
            icon=p.icon,
            url_path=p.url,
            visibility="visible" if p in allowed else "hidden",
        )
        for p in [*allowed, *(p for p in navigation.PAGES if p not in allowed)]
    }
    menu = st.navigation([root, *pages.values()], position="hidden")
    for spec in allowed:
        st.sidebar.page_link(pages[spec.url])
    auth.sign_out(user)
    if menu.title != "Review":
        auth.warn_if_demo()
    elif users.demo_users_enabled(store.cursor()) or store.auth_config().example_key:
        # One line on the review screen, so the item stays above the fold on a laptop.
        st.caption(
            ":orange[:material/lock_open: Demo sign-in in use (published passwords):"
            " an admin replaces the demo users on the Users page.]"
        )
menu.run()
