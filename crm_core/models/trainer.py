"""The trainer's loop: curated examples, decisions on the inbox, the NLU models and what was published.

* ``CuratedExample``: a labelled example a trainer added or accepted. Rows are never edited but to retire
  them: relabelling retires the row and adds its next revision (``replaces_id``), so every version stays.
* ``InboxDecision``: a trainer's decision on a group of inbox reasons (by their near-duplicate key).
* ``NluModel``: a trained model (the repository's, or a trainer's candidate) with its figures on the held-out
  sets and the curated examples it was trained with.
* ``ModelPublication``: who put which model in front of the advisors, when, how (publish, forced publish,
  rollback) and with which figures.
* ``ServingModel``: one row, the model the advisors' Rasa server runs; publishing is a conditional update
  on its ``version`` so that two trainers publishing at once cannot both win.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models.base import Base, utcnow


class CuratedExample(Base):
    __tablename__ = "curated_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(200), index=True)  # the near-duplicate key (trainer.dedup)
    journey: Mapped[str] = mapped_column(String(40))
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{start, end, entity, value}]
    source: Mapped[str] = mapped_column(String(20))  # inbox | manual
    inbox_key: Mapped[str | None] = mapped_column(String(200))  # the inbox group it came from
    revision: Mapped[int] = mapped_column(default=1)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("curated_examples.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_by: Mapped[str | None] = mapped_column(String(80))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InboxDecision(Base):
    __tablename__ = "inbox_decisions"

    inbox_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    decision: Mapped[str] = mapped_column(String(20))  # accepted | relabelled | rejected
    journey: Mapped[str | None] = mapped_column(String(40))
    example_id: Mapped[int | None] = mapped_column(ForeignKey("curated_examples.id"))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NluModel(Base):
    __tablename__ = "nlu_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # repository | candidate
    status: Mapped[str] = mapped_column(String(12))  # training | ready | failed
    note: Mapped[str | None] = mapped_column(String(200))  # what the trainer tries with this candidate
    step: Mapped[str | None] = mapped_column(String(200))  # the training's current step, in French
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, in French
    file: Mapped[str | None] = mapped_column(String(500))  # the model archive, once trained
    model_id: Mapped[str | None] = mapped_column(String(80))  # Rasa's id of the trained model (metadata)
    repository_fingerprint: Mapped[str | None] = mapped_column(String(40))  # assistant/ data and code it was built on
    example_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the curated examples trained with
    training_examples: Mapped[int | None] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # per held-out set: figures and rows
    train_seconds: Mapped[float | None] = mapped_column()
    pid: Mapped[int | None] = mapped_column()  # the training process while it runs
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_nlu_models_status", "status"),)


class ModelPublication(Base):
    __tablename__ = "model_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("nlu_models.id"))
    previous_model_id: Mapped[int | None] = mapped_column(ForeignKey("nlu_models.id"))
    action: Mapped[str] = mapped_column(String(12))  # publish | force | rollback | repository
    reason: Mapped[str | None] = mapped_column(String(1000))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # accuracy and macro-F1 per held-out set
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServingModel(Base):
    __tablename__ = "serving_model"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    model_id: Mapped[int] = mapped_column(ForeignKey("nlu_models.id"))
    version: Mapped[int] = mapped_column(default=1)
    busy_by: Mapped[str | None] = mapped_column(String(80))  # a trainer's publish in progress
    busy_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
