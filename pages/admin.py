"""Users: add users, set roles, disable them (admins only; bcrypt hashes only, audited)."""

import pandas as pd
import streamlit as st

from core.catalog import users
from ui import auth, present, store, user_forms

user = auth.require("admin")
con = store.cursor()
st.title("Users")

listed = users.list_users(con)
st.dataframe(present.shown(pd.DataFrame([vars(u) for u in listed])), hide_index=True)
user_forms.add_user(con, user.username)
user_forms.change_user(con, user.username, listed)
user_forms.unlock_user(con, user.username)
