#!/usr/bin/env python3
"""Add the demo users to a momd_referral database (TRYTOND_CONFIG names its
configuration): python scripts/demo_users.py DB"""
import os
import sys

from trytond.pool import Pool
from trytond.transaction import Transaction

sys.path.insert(0, os.path.dirname(__file__))
from momd_setup import demo_users  # noqa: E402


def main(db):
    admin_password = os.environ.get('MOMD_ADMIN_PASSWORD', 'admin')
    demo_password = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
    Pool(db).init()
    with Transaction().start(db, 0) as transaction:
        pool = Pool()
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        Office = pool.get('momd.office')
        ModelData = pool.get('ir.model.data')
        Item = pool.get('ir.module.config_wizard.item')

        def group(xml_id):
            module, _, name = xml_id.rpartition('.')
            return ModelData.get_id(module or 'momd_referral', name)

        langs = {l.code: l for l in Lang.search([])}
        offices = {o.code: o for o in Office.search([])}
        existing = {u.login for u in User.search([])}
        to_create = []
        for user in demo_users():
            if user['login'] in existing:
                continue
            to_create.append({
                    'login': user['login'],
                    'name': user.get('name') or user['login'].replace(
                        '.', ' ').title(),
                    'language': langs[user['language']].id,
                    'groups': [('add', [group(g) for g in user['groups']])],
                    'offices': [('add', [
                                offices[c].id for c in user['offices']])],
                    'supervised_offices': [('add', [
                                offices[c].id for c in user['supervised']])],
                    })
        users = User.create(to_create)
        # Demo passwords are short on purpose; they are stored as hashes so
        # that the password policy (length, not the login...) still applies
        # to every password a person sets.
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'password_hash': User.hash_password(admin_password)})
        if users:
            User.write(users, {
                    'password_hash': User.hash_password(demo_password)})
        Item.write(Item.search([('state', '=', 'open')]), {'state': 'done'})
        transaction.commit()
    print('%d demo users created' % len(users))


if __name__ == '__main__':
    main(sys.argv[1])
