#!/usr/bin/env python3
"""Write the ministry's registration form as an XLSForm for KoboToolbox
(momd_referral/data/kobo/momd_registration.xlsx) and its default mapping to
the registry (momd_referral/data/kobo_mapping.xml), both from
momd_referral/kobo_form.py.

The choices are the registry's own codes, labelled in Arabic (from
locale/ar.po) and English; the services are the categories of
data/categories.xml.

    python scripts/kobo_form.py
"""
import pathlib
import sys
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import polib
from openpyxl import Workbook

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from momd_referral.kobo_form import (  # noqa: E402
    COUNTRIES, FORM_ID, FORM_TITLE_AR, FORM_TITLE_EN, FORM_VERSION, SURVEY,
    questions)
from momd_referral.models.beneficiary import (  # noqa: E402
    CONTACT_METHODS, DISPLACEMENT_STATUS, LANGUAGES, RELATIONSHIPS, SEX,
    VULNERABILITIES)

MODULE = ROOT / 'momd_referral'
AR = 'label::Arabic (ar)'
EN = 'label::English (en)'


def arabic(field, code, english):
    "The Arabic label of the selection value of momd.beneficiary"
    for entry in _PO:
        if (entry.msgctxt == 'selection:momd.beneficiary,%s:' % field
                and entry.msgid == english and entry.msgstr):
            return entry.msgstr
    return english


def categories():
    tree = ElementTree.parse(MODULE / 'data' / 'categories.xml')
    for record in tree.iter('record'):
        values = {f.get('name'): f.text for f in record.iter('field')}
        yield values['code'], values['name_ar'], values['name_en']


def choices():
    lists = [
        ('sex', 'sex', SEX),
        ('displacement_status', 'displacement_status', DISPLACEMENT_STATUS),
        ('language', 'preferred_language', LANGUAGES),
        ('contact_method', 'contact_method', CONTACT_METHODS),
        ('relationship', 'relationship', RELATIONSHIPS),
        ('vulnerability', 'vulnerabilities', VULNERABILITIES),
        ]
    for list_name, field, selection in lists:
        for code, english in selection:
            if code:
                yield list_name, code, arabic(field, code, english), english
    for code, name_ar, name_en in COUNTRIES:
        yield 'country', code, name_ar, name_en
    for code, name_ar, name_en in categories():
        yield 'category', code, name_ar, name_en


def write_form(path):
    workbook = Workbook()
    survey = workbook.active
    survey.title = 'survey'
    survey.append(['type', 'name', AR, EN, 'required', 'relevant'])
    for group, label_ar, label_en, items in SURVEY:
        survey.append(['begin_group', group, label_ar, label_en, '', ''])
        for type_, name, item_ar, item_en, required in items:
            relevant = ''
            if name == 'estimated_age':
                relevant = "${birth_date} = ''"
            elif name == 'returned_from':
                relevant = "${displacement_status} = 'returnee_abroad'"
            survey.append([type_, name, item_ar, item_en,
                    'yes' if required else '', relevant])
        survey.append(['end_group', '', '', '', '', ''])
    sheet = workbook.create_sheet('choices')
    sheet.append(['list_name', 'name', AR, EN])
    for row in choices():
        sheet.append(list(row))
    settings = workbook.create_sheet('settings')
    settings.append(['form_title', 'form_id', 'version', 'default_language'])
    settings.append(['%s / %s' % (FORM_TITLE_AR, FORM_TITLE_EN), FORM_ID,
            FORM_VERSION, 'Arabic (ar)'])
    # the document dates are the form's, not the day it is written
    import datetime as dt
    fixed = dt.datetime(2026, 1, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.save(path)


def write_mapping(path):
    lines = []
    for sequence, (group, _, name, label_ar, label_en, _) in enumerate(
            questions(), 1):
        target = 'phone' if name.startswith('phone') else name
        lines.append('''\
        <record model="momd.kobo.mapping.line" \
id="kobo_mapping_default_%(name)s">
            <field name="mapping" ref="kobo_mapping_default"/>
            <field name="sequence" eval="%(sequence)d"/>
            <field name="column">%(group)s/%(name)s</field>
            <field name="label_ar">%(label_ar)s</field>
            <field name="label_en">%(label_en)s</field>
            <field name="target">%(target)s</field>
        </record>
''' % {'name': name, 'sequence': sequence * 10, 'group': group,
                'label_ar': escape(label_ar), 'label_en': escape(label_en),
                'target': target})
    path.write_text('''<?xml version="1.0"?>
<!-- The default mapping of the ministry's registration form
     (data/kobo/momd_registration.xlsx) to the registry, for any form
     version; administrators copy and change it for a new version.
     Written by scripts/kobo_form.py. -->
<tryton>
    <data noupdate="1">
        <record model="momd.kobo.mapping" id="kobo_mapping_default">
            <field name="name">MoMD Registration Form</field>
            <field name="form_id">%s</field>
        </record>
%s    </data>
</tryton>
''' % (FORM_ID, ''.join(lines)), encoding='utf-8')


_PO = polib.pofile(str(MODULE / 'locale' / 'ar.po'))

if __name__ == '__main__':
    target = MODULE / 'data' / 'kobo'
    target.mkdir(exist_ok=True)
    write_form(target / 'momd_registration.xlsx')
    write_mapping(MODULE / 'data' / 'kobo_mapping.xml')
    print('wrote', target / 'momd_registration.xlsx')
