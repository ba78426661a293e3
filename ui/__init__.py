"""Streamlit glue shared by the pages: the store connection and the sign-in guard."""
