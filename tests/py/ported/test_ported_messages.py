"""Ported by hand from the style of temporalio's message-passing documentation: a greeting
workflow with a query, a signal, an update with a validator, and handlers that finish
before the workflow returns. Only the import root changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowUpdateFailedError
from durable.worker import Worker


class Language(IntEnum):
    ARABIC = 1
    CHINESE = 2
    ENGLISH = 3
    FRENCH = 4


@dataclass
class ApproveInput:
    name: str


@activity.defn
async def call_greeting_service(to_language: Language) -> str | None:
    await asyncio.sleep(0.01)
    return {Language.ARABIC: "مرحبا بالعالم", Language.CHINESE: "你好，世界",
            Language.ENGLISH: "Hello, world", Language.FRENCH: "Bonjour, monde"}.get(to_language)


@workflow.defn
class GreetingWorkflow:
    def __init__(self) -> None:
        self.approved_for_release = False
        self.approver_name: str | None = None
        self.greetings = {Language.ENGLISH: "Hello, world"}
        self.language = Language.ENGLISH
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.approved_for_release)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.greetings[self.language]

    @workflow.query
    def get_languages(self) -> list[Language]:
        return list(self.greetings)

    @workflow.query
    def get_language(self) -> Language:
        return self.language

    @workflow.signal
    def approve(self, input: ApproveInput) -> None:
        self.approved_for_release = True
        self.approver_name = input.name

    @workflow.update
    async def set_language(self, language: Language) -> Language:
        # An activity may be needed to fetch the greeting: the lock keeps updates in order.
        async with self.lock:
            greeting = await workflow.execute_activity(
                call_greeting_service, language, start_to_close_timeout=timedelta(seconds=10))
            if greeting is None:
                raise ValueError(f"Greeting service does not support {language.name}")
            self.greetings[language] = greeting
            previous_language, self.language = self.language, language
            return previous_language

    @set_language.validator
    def validate_language(self, language: Language) -> None:
        if language not in Language:
            raise ValueError(f"{language} is not supported")


async def test_greeting_workflow_messages(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[GreetingWorkflow],
                      activities=[call_greeting_service]):
        wf_handle = await client.start_workflow(GreetingWorkflow.run, id=f"{task_queue}-greet",
                                                task_queue=task_queue)
        assert await wf_handle.query(GreetingWorkflow.get_languages) == [Language.ENGLISH]
        previous = await wf_handle.execute_update(GreetingWorkflow.set_language,
                                                  Language.CHINESE)
        assert previous == Language.ENGLISH
        assert await wf_handle.query(GreetingWorkflow.get_language) == Language.CHINESE
        with pytest.raises(WorkflowUpdateFailedError):
            await wf_handle.execute_update(GreetingWorkflow.set_language, 99)
        await wf_handle.signal(GreetingWorkflow.approve, ApproveInput(name="me"))
        assert await wf_handle.result() == "你好，世界"
