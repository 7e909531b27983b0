# momd_referral: case management and referral system of Iraq's Ministry of
# Migration and Displaced. Classes are registered in tryton.cfg.
