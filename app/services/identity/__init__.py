"""Who is asking: WeChat and console logins, access and refresh tokens, the principal with its
grants, and the scope rules that decide what each grant covers. Every domain stands on this
package, so it imports none of them."""

from app.services.identity import auth, maintenance, principal_cache, privacy
from app.services.identity.auth import TokenPair, password_hasher
from app.services.identity.defaults import (
    ScopeRequired,
    covers_one_village,
    home_of,
    own_town,
    own_village,
)
from app.services.identity.grants import acting_for, acts_for
from app.services.identity.person import NotBound, bound_person, caller_person, home_towns
from app.services.identity.principal import SessionRevoked, load_principal
from app.services.identity.scopes import (
    Grant,
    Location,
    Principal,
    command_line_operator,
    covers,
    location_of,
    scope_clause,
    scope_towns,
)
from app.services.identity.tokens import decode_access_token

__all__ = [
    "Grant",
    "Location",
    "NotBound",
    "Principal",
    "ScopeRequired",
    "SessionRevoked",
    "TokenPair",
    "acting_for",
    "acts_for",
    "auth",
    "bound_person",
    "caller_person",
    "command_line_operator",
    "covers",
    "covers_one_village",
    "decode_access_token",
    "home_of",
    "home_towns",
    "load_principal",
    "location_of",
    "maintenance",
    "own_town",
    "own_village",
    "password_hasher",
    "principal_cache",
    "privacy",
    "scope_clause",
    "scope_towns",
]
