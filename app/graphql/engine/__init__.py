"""The discount engine's API: validateCode and codeUsageStats, redeemCode and voidRedemption."""

from __future__ import annotations

from app.graphql.engine.mutations import EngineMutation
from app.graphql.engine.queries import EngineQuery

__all__ = ["EngineMutation", "EngineQuery"]
