"""Model tags (contract §1.5.12, §5.7, §8.9): tags are global to this server (t_tags, names unique) and are
attached to model versions (t_model_tag.f_m_id = the model version, f_t_id = the tag id).

A model is found for tagging by its version (`job_id` in requests): the first t_machine_learning_model_info
row of that version. Every operation answers (retmsg, data) or raises a FateFlowError (retcode 100) with
FATE's message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError, fn

from fate_flow.db.base import write_transaction
from fate_flow.db.models import MachineLearningModelInfo, ModelTag, Tag
from fate_flow.entity.errors import AlreadyExistsError, FateFlowError, ParameterError

TAG_NAME_MAX = 100  # t_tags.f_name


@dataclass(frozen=True)
class TagResult:
    retmsg: str
    data: Any = None


# ---------------------------------------------------------------------------------------------- tags
def create_tag(name: str | None, description: str | None = None) -> TagResult:
    if not name:
        raise FateFlowError("'None' tag created failed. Please input a valid tag name.")
    _check_name(name, "tag_name")
    try:
        with write_transaction():
            if _find_tag(name) is not None:
                raise AlreadyExistsError(f"'{name}' has already exists in database.")
            Tag.insert(f_name=name, f_desc=description, **Tag.audit_values()).execute()
    except IntegrityError:  # created concurrently
        raise AlreadyExistsError(f"'{name}' has already exists in database.") from None
    return TagResult(f"'{name}' tag has been created successfully.")


def retrieve_tags(name: str, with_model: bool = False) -> TagResult:
    """Without `with_model`: every tag whose name contains `name`; with it: the models tagged `name`."""
    if not with_model:
        found = [_tag_info(t) for t in Tag.select().order_by(Tag.f_id) if name in t.f_name]
        if not found:
            raise FateFlowError("No tags found.")
        return TagResult("success", {"tags": found})
    tag = _existing_tag(name)
    versions = [link.f_m_id for link in ModelTag.select().where(ModelTag.f_t_id == tag.f_id).order_by(ModelTag.f_id)]
    M = MachineLearningModelInfo
    models = []
    for version in versions:
        for row in M.select().where(M.f_model_version == version).order_by(M.f_role, M.f_party_id):
            models.append({"model_id": row.f_model_id, "model_version": row.f_model_version,
                           "model_size": row.f_size, "role": row.f_role, "party_id": row.f_party_id})
    return TagResult("success", {"models": models, "count": len(models)})


def update_tag(name: str, new_name: str | None = None, new_description: str | None = None) -> TagResult:
    """Rename and/or re-describe a tag. A description not given is kept (FATE blanks it)."""
    if not new_name and new_description is None:
        raise FateFlowError("Nothing to be updated.")
    if new_name:
        _check_name(new_name, "new_tag_name")
    try:
        with write_transaction():
            tag = _existing_tag(name)
            if new_name and new_name != name and _find_tag(new_name) is not None:
                raise AlreadyExistsError(f"'{new_name}' tag already exists.")
            values = {}
            if new_name:
                values["f_name"] = new_name
            if new_description is not None:
                values["f_desc"] = new_description
            Tag.update(**values, **Tag.audit_values(create=False)).where(Tag.f_id == tag.f_id).execute()
    except IntegrityError:  # the new name was taken concurrently
        raise AlreadyExistsError(f"'{new_name}' tag already exists.") from None
    return TagResult(f"Infomation of '{name}' tag has been updated successfully.")


def destroy_tag(name: str) -> TagResult:
    """Delete a tag and its links to models."""
    with write_transaction():
        tag = _existing_tag(name)
        ModelTag.delete().where(ModelTag.f_t_id == tag.f_id).execute()
        Tag.delete().where(Tag.f_id == tag.f_id).execute()
    return TagResult(f"'{name}' tag has been deleted successfully.")


def list_tags(limit: int) -> TagResult:
    """The first `limit` tags (in creation order) with the number of models each is attached to."""
    counts = (ModelTag.select(ModelTag.f_t_id, fn.COUNT(ModelTag.f_id).alias("n")).group_by(ModelTag.f_t_id))
    count_of = {row.f_t_id: row.n for row in counts}
    tags = Tag.select().order_by(Tag.f_id).limit(limit)
    return TagResult("success", {"tags": [dict(_tag_info(t), model_count=count_of.get(t.f_id, 0)) for t in tags]})


# ---------------------------------------------------------------------------------------------- model <-> tag
def tag_model(job_id: str, name: str) -> TagResult:
    """Attach tag `name` (created if needed) to the model of version `job_id`."""
    _check_name(name, "tag_name")
    model = _model_of(job_id)
    with write_transaction():
        Tag.insert(f_name=name, f_desc=None, **Tag.audit_values()).on_conflict_ignore().execute()
        tag = _existing_tag(name)
        if _link(model.f_model_version, tag.f_id) is not None:
            raise AlreadyExistsError(f"Model {model.f_model_id} {model.f_model_version} already been tagged as "
                                     f"tag '{name}'.")
        ModelTag.insert(f_m_id=model.f_model_version, f_t_id=tag.f_id, **ModelTag.audit_values()).execute()
    return TagResult(f"Adding {name} tag for model with job id: {job_id} successfully.")


def untag_model(job_id: str, name: str) -> TagResult:
    model = _model_of(job_id)
    with write_transaction():
        tag = _existing_tag(name)
        link = _link(model.f_model_version, tag.f_id)
        if link is None:
            raise FateFlowError(f"Model {model.f_model_id} {model.f_model_version} does not have tag '{name}'.")
        ModelTag.delete().where(ModelTag.f_id == link.f_id).execute()
    return TagResult(f"'{name}' tag has been removed from tag list of model {model.f_model_id} "
                     f"{model.f_model_version}.")


def model_tags(job_id: str) -> TagResult:
    model = _model_of(job_id)
    links = ModelTag.select(ModelTag.f_t_id).where(ModelTag.f_m_id == model.f_model_version)
    tags = [_tag_info(t) for t in Tag.select().where(Tag.f_id.in_(links)).order_by(Tag.f_id)]
    return TagResult("success", {"tags": tags, "count": len(tags)})


# ---------------------------------------------------------------------------------------------- helpers
def _check_name(name: str, field: str) -> None:
    if len(name) > TAG_NAME_MAX:
        raise ParameterError(f"parameter {field} is longer than {TAG_NAME_MAX} characters")


def _tag_info(tag: Tag) -> dict:
    return {"name": tag.f_name, "description": tag.f_desc}


def _find_tag(name: str) -> Tag | None:
    return Tag.get_or_none(Tag.f_name == name)


def _existing_tag(name: str) -> Tag:
    tag = _find_tag(name)
    if tag is None:
        raise FateFlowError(f"Can not found '{name}' tag.")
    return tag


def _link(model_version: str, tag_id: int) -> ModelTag | None:
    return ModelTag.get_or_none(ModelTag.f_m_id == model_version, ModelTag.f_t_id == tag_id)


def _model_of(job_id: str) -> MachineLearningModelInfo:
    M = MachineLearningModelInfo
    model = M.select().where(M.f_model_version == job_id).order_by(M.f_create_time).first()
    if model is None:
        raise FateFlowError(f"Can not found model by job id: '{job_id}'.")
    return model
