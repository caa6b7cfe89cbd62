"""The names of the cookies Cakap sets: the web layer reads them before any domain runs
(CSRF keys on the session cookie, the body limit lets a logged-in upload be larger)."""

SESSION_COOKIE = "cakap_session"
ANON_COOKIE = "cakap_anon"
LANG_COOKIE = "cakap_lang"
