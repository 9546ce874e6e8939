"""OpenTelemetry spans of episodes, steps, model calls and tool calls, after the GenAI semantic
conventions (`pip install 'react-agent[otel]'`; `Agent(..., tracer=...)`, or `--otel`, which exports
over OTLP as the standard `OTEL_*` environment variables say).

    invoke_agent react-agent              an episode: task id, stop reason, steps, token totals
      step 1                              a Thought/Action/Observation round
        text_completion <model>           a model call: request settings, tokens in, out and cached
        execute_tool Search               the action: its tool and what came back
      step 2 ...

Spans are started with explicit parents, not as the current span: an episode's calls are made
across the yields of `Agent._script`, and by the async driver on other tasks.
"""

from __future__ import annotations

from typing import Any

from react_agent.models.base import Completion, Model, ModelRequest
from react_agent.trajectory import Action, EpisodeResult

AGENT_NAME = "react-agent"


def otlp_tracing() -> tuple[Any, Any]:
    """A tracer provider that exports over OTLP/HTTP, configured by the standard OTEL_* variables
    (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME...), and its tracer. Shut the provider down
    at the end, so that the last spans are sent."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ImportError("tracing needs OpenTelemetry: pip install 'react-agent[otel]'") from None
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider, provider.get_tracer("react_agent")


class EpisodeTrace:
    """The spans of one episode; every method does nothing when there is no tracer."""

    def __init__(self, tracer: Any, task_id: str):
        self._tracer = tracer
        self._episode = self._start(
            f"invoke_agent {AGENT_NAME}",
            None,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": AGENT_NAME,
                "react.task_id": task_id,
            },
        )
        self._step: Any = None
        self._step_number = 0

    def _start(self, name: str, parent: Any, attributes: dict[str, Any]) -> Any:
        if self._tracer is None:
            return None
        from opentelemetry import trace

        context = trace.set_span_in_context(parent) if parent is not None else None
        return self._tracer.start_span(name, context=context, attributes=_known(attributes))

    def model_call(self, step: int, model: Model, request: ModelRequest) -> Any:
        if self._tracer is None:
            return None
        if step != self._step_number:
            self.end_step()
            self._step, self._step_number = (
                self._start(f"step {step}", self._episode, {"react.step": step}),
                step,
            )
        operation = model.operation
        return self._start(
            f"{operation} {model.name}",
            self._step,
            {
                "gen_ai.operation.name": operation,
                "gen_ai.provider.name": model.provider,
                "gen_ai.request.model": model.name,
                "gen_ai.request.max_tokens": request.max_tokens,
                "gen_ai.request.temperature": request.temperature,
                "gen_ai.request.stop_sequences": list(request.stop),
                "react.request_sha256": request.sha256(),
            },
        )

    def tool_call(self, action: Action) -> Any:
        return self._start(
            f"execute_tool {action.name or action.text}",
            self._step,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": action.name or action.text,
                "react.action": action.text,
            },
        )

    def end(
        self,
        span: Any,
        completion: Completion | None = None,
        error: BaseException | None = None,
        **attributes: Any,
    ) -> None:
        """End a model or tool span, with what the call gave or the error it raised."""
        if span is None:
            return
        if completion is not None:
            usage = completion.usage
            cached = None
            if usage.prompt_tokens is not None and usage.evaluated_tokens is not None:
                cached = usage.prompt_tokens - usage.evaluated_tokens
            attributes |= {
                "gen_ai.usage.input_tokens": usage.prompt_tokens,
                "gen_ai.usage.output_tokens": usage.completion_tokens,
                "gen_ai.usage.cache_read.input_tokens": cached,
            }
        span.set_attributes(_known(attributes))
        if error is not None:
            from opentelemetry.trace import Status, StatusCode

            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:200]))
        span.end()

    def end_step(self) -> None:
        if self._step is not None:
            self._step.end()
            self._step = None

    def finish(self, result: EpisodeResult) -> EpisodeResult:
        """End the episode's span with how it went; returns the result, to pass it on."""
        self.end_step()
        if self._episode is None:
            return result
        usage = result.usage
        cached = None
        if usage.prompt_tokens is not None and usage.evaluated_tokens is not None:
            cached = usage.prompt_tokens - usage.evaluated_tokens
        self._episode.set_attributes(
            _known(
                {
                    "react.stop_reason": result.stop_reason.value,
                    "react.steps": len(result.steps),
                    "react.model_calls": usage.calls,
                    "gen_ai.usage.input_tokens": usage.prompt_tokens,
                    "gen_ai.usage.output_tokens": usage.completion_tokens,
                    "gen_ai.usage.cache_read.input_tokens": cached,
                    **{f"react.metric.{name}": value for name, value in result.metrics.items()},
                }
            )
        )
        self._episode.end()
        return result


def _known(attributes: dict[str, Any]) -> dict[str, Any]:
    """OpenTelemetry attributes cannot be None: an unknown value is left out."""
    return {key: value for key, value in attributes.items() if value is not None}
