"""What is wrong with a request: BadInput names a message of the module
and its values, which guard.py translates for the user. The limits a
request keeps to are here too."""
import math
from decimal import Decimal

# how deeply search criteria may nest (sao builds a few levels at most)
DOMAIN_DEPTH = 20
# record numbers are PostgreSQL integers; numbers searched for, bigints
INTEGER_MAX = 2 ** 31 - 1
BIGINT_MAX = 2 ** 63 - 1
# decimal and float values beyond this are no count, age or amount
NUMBER_MAX = 10 ** 15
# a one-line text (a name, a number, a place) and a free text (notes)
CHAR_SIZE = 1000
TEXT_SIZE = 100_000
# a text searched for, or typed in a completion
SEARCH_SIZE = 1000
NAME_SIZE = 200

# the kind of value each type of field takes, as named to the user
KINDS = {
    'char': 'text', 'text': 'text', 'full_text': 'text',
    'selection': 'text', 'multiselection': 'choices',
    'integer': 'integer', 'biginteger': 'integer',
    'float': 'number', 'numeric': 'number',
    'boolean': 'boolean',
    'date': 'date', 'datetime': 'datetime', 'timestamp': 'datetime',
    'time': 'time', 'timedelta': 'duration',
    'many2one': 'record', 'one2one': 'record', 'reference': 'reference',
    'one2many': 'lines', 'many2many': 'lines',
    'binary': 'file', 'dict': 'dict',
    }


class BadInput(Exception):
    """What is wrong with a call: a message of the module (without its
    module prefix) and its values. Values that are Label are names of
    models, fields or kinds of value, translated when the message is."""

    def __init__(self, message, **variables):
        super().__init__(message, variables)
        self.message = message
        self.variables = variables


class Label:
    "A model's name, one of its fields' names or a kind of value"
    __slots__ = ('model', 'field', 'kind')

    def __init__(self, model=None, field=None, kind=None):
        self.model = model
        self.field = field
        self.kind = kind


def model_label(Model):
    return Label(model=Model)


def field_label(Model, name):
    return Label(model=Model, field=name)


def kind_label(kind):
    return Label(kind=kind)


def is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return False
