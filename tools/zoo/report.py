"""The zoo's Markdown report: the README table, the recommended layers, the refusals by operator."""
import os
import re
from collections import defaultdict

TOLERANCE = 1e-4  # every logit within this fraction of the largest |logit|
MIN_R = 0.999


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def refusal(message: str) -> str:
    """The refusal without the CLI's prefix and the list of supported operators."""
    message = re.sub(r"^Error: model '[^']*' cannot be loaded: ", "", message)
    return re.sub(r"; supported operators: .*", "", message)


def status(row: dict) -> str:
    if "refused" in row:
        return "refused: " + cell(refusal(row["refused"]))
    if "top5" not in row:
        return "not measured: " + cell(row.get("error", ""))
    return "yes"


def number(row: dict, key: str, fmt: str) -> str:
    return format(row[key], fmt) if key in row else ""


def ratio(row: dict, key: str) -> str:
    return f"{row[key] / row['ours_ms']:.2f}x" if "ours_ms" in row and key in row else ""


def table(rows: list[dict]) -> list[str]:
    lines = ["| model | exporter | loads | same top-5 | max logit error | default layer is the recommended one | "
             "Grad-CAM r | ours (ms) | onnxruntime forward (ms) | pytorch-grad-cam (ms) | onnxruntime / ours | "
             "pytorch-grad-cam / ours |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        default = ""
        if "default_layer" in row:
            default = "yes" if row["default_layer"] == row.get("recommended") else f"no: `{cell(row['default_layer'])}`"
        top5 = ("yes" if row["top5"] else "**no**") if "top5" in row else ""
        error = number(row, "logit_error", ".1e")
        if "logit_error" in row and row["logit_error"] > TOLERANCE:
            error = f"**{error}**"
        r = number(row, "r", ".4f")
        if "r" in row and not row["r"] >= MIN_R:
            r = f"**{r}**"
        extra = f" ({cell(row['error'])})" if "error" in row and "top5" in row else ""
        lines.append(f"| {row['model']} | {row['exporter']} {row['opset']} | {status(row)} | {top5} | {error} | "
                     f"{default}{extra} | {r} | {number(row, 'ours_ms', '.1f')} | "
                     f"{number(row, 'onnxruntime_ms', '.1f')} | {number(row, 'pytorch_grad_cam_ms', '.1f')} | "
                     f"{ratio(row, 'onnxruntime_ms')} | {ratio(row, 'pytorch_grad_cam_ms')} |")
    return lines


def layers(rows: list[dict]) -> list[str]:
    lines = ["| model | exporter | recommended module | its tensor in the exported graph |", "|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['exporter']} | `{r['recommended_module']}` | `{cell(r['recommended'])}` |"
              for r in rows if "recommended" in r]
    return lines


def operators(row: dict) -> list[str]:
    """The operators a refused export needs: every one its graph has and the engine lacks, or
    the one the refusal names."""
    return row.get("missing") or re.findall(r"operator '([A-Za-z0-9_]+)'", row["refused"]) or [row["refused"]]


def refusals(rows: list[dict]) -> list[str]:
    by_operator = defaultdict(list)
    for row in rows:
        if "refused" in row:
            for operator in operators(row):
                by_operator[operator].append(f"{row['model']} ({row['exporter']})")
    lines = ["| operator the engine lacks | exports whose graph has it |", "|---|---|"]
    lines += [f"| {cell(op)} | {', '.join(models)} |" for op, models in sorted(by_operator.items(),
                                                                              key=lambda kv: -len(kv[1]))]
    return lines


def markdown(rows: list[dict], versions: dict, args, seconds: float) -> str:
    loaded = [r for r in rows if "top5" in r]
    good = [r for r in loaded if r["top5"] and r["logit_error"] <= TOLERANCE
            and r.get("default_layer") == r.get("recommended") and r.get("r", 0) >= MIN_R]
    timed = [r for r in loaded if "ours_ms" in r]
    timing = (f"{len(timed)} of the {len(loaded)} that load timed, {args.threads} threads each, median of "
              f"{args.runs} after {args.warmup} warm-up" if timed else "no timing (--no-timing)")
    header = [f"Zoo run: {', '.join(f'{k} {v}' for k, v in versions.items())}; {timing}; this run {seconds / 60:.0f} "
              f"min, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at its end.",
              f"{len(loaded)} of {len(rows)} exports load; {len(good)} meet every check (same top-5, every logit "
              f"within {TOLERANCE:g} of the largest |logit|, the recommended default layer, r >= {MIN_R}).",
              "Ours: forward + backward + map of `gradcam bench` at the recommended layer; onnxruntime: "
              "`InferenceSession.run`; pytorch-grad-cam: one `GradCAM` call. Logit error: max |ours - onnxruntime| "
              "/ max |onnxruntime|."]
    return "\n".join(header + [""] + table(rows) + ["", "Refused exports by operator: every operator of the graph that the engine's list lacks "
                                "(the engine names only the first):", ""]
                     + refusals(rows) + ["", "Recommended layers:", ""] + layers(rows)) + "\n"
