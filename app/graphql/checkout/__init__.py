"""The checkout API, the discount engine's operations: validateCode and codeUsageStats,
redeemCode and voidRedemption. (Named for what callers do with it: app.db.engine is
SQLAlchemy's engine.)"""

from __future__ import annotations

from app.graphql.checkout.mutations import EngineMutation
from app.graphql.checkout.queries import EngineQuery

__all__ = ["EngineMutation", "EngineQuery"]
