from trytond.tests.test_tryton import ModuleTestCase


class MomdReferralTestCase(ModuleTestCase):
    "Test the momd_referral module"
    module = 'momd_referral'


del ModuleTestCase
