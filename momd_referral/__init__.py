# momd_referral: case management and referral system of Iraq's Ministry of
# Migration and Displaced. Classes are registered in tryton.cfg.
from . import bad_input, replies, rows

# bad input from clients gets a clear, translated refusal (bad_input/)
bad_input.install()
# rows read as dictionaries without psycopg's cost per row (rows.py)
rows.install()
# long replies written in one body, gzipped at once or plain (replies.py)
replies.install()

# the page of the answer links, served without a login (answer_page/)
from . import answer_page  # noqa: E402,F401
