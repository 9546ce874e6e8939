"""OpenTelemetry spans: their tree, attributes and counts match the results file; and `--otel`
sends them over OTLP/HTTP to a collector on 127.0.0.1, as the OTEL_* variables say."""

import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from react_agent import Agent, ToolError, run_all
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ScriptedModel
from react_agent.results import read_results
from servers import scripted_openai_server, serve, url_of


class FlakyWiki:
    """The demo wiki, but a Lookup on the page of Paris times out."""

    def __init__(self, wiki):
        self.wiki = wiki

    def find(self, entity):
        if entity == "Nowhere":
            raise ToolError("Wikipedia did not answer within 10 s.")
        return self.wiki.find(entity)


def test_spans_match_the_results_file(tmp_path, demo_wiki, demo_questions):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    outputs = {
        demo_questions[0].id: [
            " I look.",
            " Search[Eiffel Tower]",
            " Far.\nAction 2: Search[Nowhere]",
            " Done.\nAction 3: Finish[Seine]",
        ],
        demo_questions[1].id: [" So.\nAction 1: Finish[1775]"],
    }
    questions = demo_questions[:2]

    def make_agent():
        class PerQuestion(ScriptedModel):
            def for_task(self, task_id, epoch=0):
                return ScriptedModel(outputs[task_id])

        return Agent(PerQuestion([]), HotpotQAEnv(FlakyWiki(demo_wiki)), tracer=tracer)

    out = tmp_path / "run.jsonl"
    run_all(questions, make_agent, out=out)
    results = {r.task_id: r for r in read_results(out)}
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}

    def children(span, operation=None):
        found = [s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id]
        return [
            s for s in found if operation is None or s.attributes.get("gen_ai.operation.name") == operation
        ]

    episodes = [s for s in spans if s.name == "invoke_agent react-agent"]
    assert sorted(s.attributes["react.task_id"] for s in episodes) == sorted(results)
    for episode in episodes:
        assert episode.parent is None
        result = results[episode.attributes["react.task_id"]]
        assert episode.attributes["react.stop_reason"] == result.stop_reason.value
        assert episode.attributes["react.steps"] == len(result.steps)
        assert episode.attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
        assert episode.attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens
        steps = children(episode)
        assert [s.name for s in steps] == [f"step {step.index}" for step in result.steps]
        calls = 0
        for span, step in zip(steps, result.steps, strict=True):
            model_calls = children(span, "text_completion")
            [tool] = children(span, "execute_tool")
            calls += len(model_calls)
            assert len(model_calls) == step.usage.calls
            assert all(c.name == "text_completion scripted" for c in model_calls)
            assert [c.attributes["gen_ai.usage.output_tokens"] for c in model_calls] == [
                len(text.split()) for text in step.model_outputs
            ]
            assert tool.attributes["gen_ai.tool.name"] == step.action.name
            assert tool.attributes["react.action"] == step.action.text
            assert (tool.status.status_code.name == "ERROR") == (step.action.argument == "Nowhere")
        assert calls == result.usage.calls
    assert all(s.parent is None or s.parent.span_id in by_id for s in spans)


class OtlpCollector(BaseHTTPRequestHandler):
    """The OTLP/HTTP trace endpoint of a collector: POST /v1/traces with a protobuf body."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.server.spans.extend(span.name for span in scope.spans)
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_otel_sends_spans_over_otlp_to_the_configured_collector(tmp_path):
    answers = [" I search.\nAction 1: Search[Eiffel Tower]", " So.\nAction 2: Finish[Seine]"]
    with (
        scripted_openai_server(answers) as model_server,
        serve(OtlpCollector, spans=[], paths=[]) as collector,
    ):
        env = dict(
            os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=url_of(collector, ""), OTEL_SERVICE_NAME="react-test"
        )
        command = [sys.executable, "-m", "react_agent.cli", "run", "--task", "hotpotqa", "--n", "1", "--otel"]
        command += ["--model", "openai:m", "--base-url", url_of(model_server, "/v1")]
        process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        spans, paths = list(collector.spans), list(collector.paths)
    assert process.returncode == 0, process.stderr
    assert set(paths) == {"/v1/traces"}
    assert sorted(spans) == sorted(
        [
            "invoke_agent react-agent",
            "step 1",
            "step 2",
            "text_completion m",
            "text_completion m",
            "execute_tool search",
            "execute_tool finish",
        ]
    )
