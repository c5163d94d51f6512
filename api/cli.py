"""The ``greentrade`` command line: thin adapters that parse, call the library and print.

Library errors become one line on stderr and exit code 2 (in :func:`main`), never a traceback.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli_common import JsonOption, open_catalogue, open_store, print_json
from api.cli_curation import register as register_curation
from classifier.catalogue import Catalogue, Entry
from classifier.codes import format_code
from classifier.errors import GreentradeError
from classifier.settings import get_settings

app = typer.Typer(
    help="greentrade: Chongqing green low-carbon trade catalogue and classification (重庆绿色低碳贸易产品目录).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
catalogue_app = typer.Typer(help="Look up, search, check and export the catalogue.", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")


def _render_entry(cat: Catalogue, entry: Entry) -> str:
    lines = [f"{format_code(entry.code)}  {entry.node.name_zh}"]
    if entry.node.name_en:
        lines.append(f"{'':{len(format_code(entry.code))}}  {entry.node.name_en}")
    lines.append("Path 路径:    " + " > ".join(f"{n.code} {n.name}" for n in entry.path))
    if entry.mappings:
        for m in entry.mappings:
            green = f"{m.category} {cat.category_name(m.category)}, {m.coverage}"
            if m.coverage == "ex":
                green += f": {m.ex_description_zh} ({m.ex_description_en})"
            lines.append(f"Green 绿色:   {green}  [source: {';'.join(m.source)}]")
            if m.keywords_zh or m.keywords_en:
                lines.append(f"  keywords 关键词: {'; '.join(m.keywords_zh + m.keywords_en)}")
    elif entry.hs6:
        lines.append("Green 绿色:   NONE 非绿色低碳")
    if entry.not_green:
        lines.append(f"Judged not green 判定非绿色: {entry.not_green.reason}")
    for f in entry.flags:
        scope = f" (ex: {f.description_zh})" if f.scope == "ex" else ""
        lines.append(f"Flag 标记:    {f.flag}{scope}  [{f.basis}]")
    if entry.ref_lists:
        shown = [
            m.list
            if m.conversion == "same code in HS2022"
            else f"{m.list} ({m.original_edition} {m.original_code}, {m.conversion})"
            for m in entry.ref_lists
        ]
        lines.append("Lists 清单:   " + "; ".join(shown))
    lines.extend(f"Note 说明:    {note}" for note in entry.notes)
    return "\n".join(lines)


@catalogue_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="HS code, 2-10 digits; dots and spaces allowed.")],
    as_json: JsonOption = False,
) -> None:
    """Show a code: its path, names, green categories, coverage, flags and reference lists."""
    from classifier.catalogue_report import describe_entry

    cat = open_catalogue()
    entry = cat.lookup(code)
    if as_json:
        print_json(describe_entry(cat, entry))
    else:
        typer.echo(_render_entry(cat, entry))


@catalogue_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words in Chinese or English, e.g. 光伏逆变器 or 'heat pump'.")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many results.")] = 10,
    exact: Annotated[bool, typer.Option("--exact", help="Only exact substring matches, no fuzzy ones.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Search code names and green keywords, ranked: exact matches first, then fuzzy ones."""
    hits = open_catalogue().search(text, limit=limit, fuzzy=not exact)
    if as_json:
        print_json([hit.__dict__ for hit in hits])
        return
    if not hits:
        typer.echo(f"no code matches {text!r}")
    for hit in hits:
        typer.echo(f"{format_code(hit.code):<14} {hit.score:5.1f}  {hit.method:<14} {hit.name_zh or hit.name_en}")


@catalogue_app.command("stats")
def stats(as_json: JsonOption = False) -> None:
    """Count rows per level, Chinese names, mappings per category and coverage, flags and lists."""
    from classifier.catalogue_report import catalogue_stats

    data = catalogue_stats(open_catalogue())
    if as_json:
        print_json(data)
        return
    typer.echo("Nomenclature 商品编码 (rows / with Chinese name):")
    for level, counts in data["nomenclature"].items():
        typer.echo(f"  {level:<14} {counts['rows']:>6} / {counts['name_zh']:>6}")
    req = data["name_zh_required_subheadings"]
    typer.echo(f"  subheadings of green/flagged chapters: {req['rows']} / {req['name_zh']}")
    typer.echo(f"  national codes imported: {data['national_codes']}")
    typer.echo(
        f"Green mappings 绿色映射: {data['mapped_subheadings']} subheadings, {data['judged_not_green']} listed codes judged not green"
    )
    for category, coverage in data["mappings_by_category"].items():
        typer.echo(f"  {category:<5} full {coverage.get('full', 0):>4}   ex {coverage.get('ex', 0):>4}")
    typer.echo("Flags 标记: " + ", ".join(f"{k} {v}" for k, v in data["flags"].items()))
    typer.echo("Lists 清单: " + ", ".join(f"{k} {v}" for k, v in data["lists"].items()))


@catalogue_app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write; default catalogue.<format>.")
    ] = None,
    all_codes: Annotated[
        bool, typer.Option("--all", help="Every nomenclature row, not only green, flagged or listed ones.")
    ] = False,
) -> None:
    """Export the catalogue as a spreadsheet (formula-safe), one row per code and category."""
    from classifier.catalogue_report import catalogue_table
    from classifier.tables import write_table

    if fmt not in ("csv", "xlsx"):
        raise typer.BadParameter(f"--format should be csv or xlsx, got {fmt!r}")
    target = output or Path(f"catalogue.{fmt}")
    table = catalogue_table(open_catalogue(), all_codes=all_codes)
    write_table(table, target, fmt=fmt)
    typer.echo(f"wrote {len(table)} rows to {target}")


@catalogue_app.command("check")
def check() -> None:
    """Validate the catalogue data files; exit 1 and name file, line and column of each problem."""
    from classifier.catalogue_check import check_catalogue

    problems = check_catalogue(get_settings().catalogue_dir)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {get_settings().catalogue_dir}", err=True)
        raise typer.Exit(1)
    typer.echo(f"catalogue OK: {get_settings().catalogue_dir}")


@catalogue_app.command("import-nomenclature")
def import_nomenclature_cmd(
    file: Annotated[Path, typer.Argument(help="Customs commodity code table (商品编码, 商品名称), CSV or XLSX.")],
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name; default the first.")] = None,
) -> None:
    """Import the official 8/10-digit national code table into the catalogue in use."""
    from classifier.nomenclature import import_nomenclature

    settings = get_settings()
    report = import_nomenclature(file, open_catalogue(), settings.national_codes_path, sheet=sheet)
    typer.echo(f"read {report.rows_read} rows from {file}; imported {report.imported}; skipped {len(report.skipped)}")
    for reason, count in report.skipped_by_reason().most_common():
        typer.echo(f"  skipped {count}: {reason}")
    for line, code, reason in report.skipped[:20]:
        typer.echo(f"    row {line}: {code!r}: {reason}")
    if len(report.skipped) > 20:
        typer.echo(f"    ... {len(report.skipped) - 20} more")
    typer.echo(f"national codes now in use: {report.total_national_codes} ({settings.national_codes_path})")


def _classifier(model: Path | None = None, release: str | None = None):  # type: ignore[no-untyped-def]
    """The classifier, pinned to ``release`` (default $GREENTRADE_RELEASE; empty or none for no release)."""
    from classifier.classify import Classifier

    classifier = Classifier.load(model)
    ref = get_settings().release if release is None else release
    if ref and ref != "none":
        from classifier.releases import ReleaseRules

        classifier.pin_release(ReleaseRules.load(open_store(), ref))
    return classifier


_RELEASE_HELP = (
    "Catalogue release whose curated entries decide first: name, number, latest or none; default $GREENTRADE_RELEASE."
)
ModelOption = Annotated[Path | None, typer.Option("--model", help="Model file; default $GREENTRADE_MODEL_PATH.")]


@app.command("classify")
def classify(
    input: Annotated[
        Path | None, typer.Argument(help="Customs records: CSV (UTF-8/GBK/GB18030), XLSX or Parquet.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Result file; format by extension (.csv, .xlsx, .parquet).")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Classify one product description instead of a file.")
    ] = None,
    code: Annotated[str, typer.Option("--code", help="With --text: the declared HS code.")] = "",
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet; default the first.")] = None,
    chunk_rows: Annotated[int, typer.Option(min=100, help="Rows read per chunk (memory stays flat).")] = 50_000,
    model: ModelOption = None,
    release: Annotated[str | None, typer.Option(help=_RELEASE_HELP)] = None,
    as_json: JsonOption = False,
) -> None:
    """Classify customs records: green category, flags, confidence, evidence and HS suggestions.

    The output's model and release are recorded in OUTPUT.run.json (and inside XLSX and Parquet)."""
    if text is not None:
        result = _classifier(model, release).classify_one(name=text, hs_code=code)
        if as_json:
            print_json(result)
        else:
            for key, value in result.items():
                typer.echo(f"{key:<15} {value}")
        return
    if input is None or output is None:
        raise typer.BadParameter("give INPUT and -o OUTPUT, or --text")
    clf = _classifier(model, release)
    summary = _run_with_progress(clf, input, output, sheet=sheet, chunk_rows=chunk_rows)
    if as_json:
        print_json(
            {
                "rows": summary.rows,
                "rejected": summary.rejected,
                "needs_review": summary.needs_review,
                "distinct": summary.distinct,
                "green_share": summary.green_share,
                "records_per_second": round(summary.records_per_second),
                "output": str(summary.output),
                "release": clf.rules.release.name if clf.rules else None,
                "model_sha256": clf.card.get("sha256"),
            }
        )
        return
    typer.echo(f"rows 行数:            {summary.rows}")
    typer.echo(f"rejected 拒绝:        {summary.rejected}")
    typer.echo(f"needs review 待复核:  {summary.needs_review}")
    typer.echo(f"distinct lines 去重后: {summary.distinct}")
    typer.echo("green share 绿色占比: " + (", ".join(f"{c} {v:.1%}" for c, v in summary.green_share.items()) or "none"))
    typer.echo(f"speed 速度:           {summary.records_per_second:,.0f} records/s ({summary.seconds:.1f} s)")
    typer.echo(f"output 输出:          {summary.output}")
    pinned = f"{clf.rules.release.name} (#{clf.rules.release.number})" if clf.rules else "none 无"
    typer.echo(f"release 目录版本:     {pinned}; model 模型 {str(clf.card.get('sha256', ''))[:12]}")


def _run_with_progress(clf, source: Path, target: Path, **kwargs):  # type: ignore[no-untyped-def]
    """Classify a file, with a progress bar when stderr is a terminal."""
    if not sys.stderr.isatty():
        return clf.classify_file(source, target, **kwargs)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("classifying 分类中"), BarColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
        transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("rows", total=None)
        return clf.classify_file(source, target, progress=lambda n: bar.advance(task, n), **kwargs)


@app.command("suggest-hs")
def suggest_hs(
    text: Annotated[str, typer.Argument(help="Product description, Chinese or English.")],
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="How many suggestions.")] = 3,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suggest HS 2022 subheadings for a product description, best first, by the model alone."""
    clf = _classifier(model)
    hits = clf.suggest_hs(text, k)
    if as_json:
        print_json([{"hs6": c, "score": round(s, 4), "name_zh": clf.catalogue.nodes[c].name_zh} for c, s in hits])
        return
    if not hits:
        typer.echo("no suggestion: the text has no product words")
    for c, s in hits:
        node = clf.catalogue.nodes[c]
        typer.echo(f"{format_code(c):<9} {s:.2f}  {node.name_zh or node.name_en}")


@app.command("train")
def train_cmd(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Model file; default $GREENTRADE_MODEL_PATH.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the training-data generator.")] = 20261127,
    decisions: Annotated[
        bool, typer.Option("--decisions/--no-decisions", help="Learn from curators' decisions in the database.")
    ] = True,
) -> None:
    """Train the model from the catalogue, the lexicon, an imported national table and curators' decisions."""
    from classifier.curation import decision_texts
    from classifier.lexicon import load_lexicon
    from classifier.train import train

    settings = get_settings()
    target = output or settings.model_path
    settings_db = settings.db_url
    fresh = settings_db.startswith("sqlite:///") and not Path(settings_db.removeprefix("sqlite:///")).exists()
    extra = decision_texts(open_store()) if decisions and not fresh else []  # no database yet: no decisions
    typer.echo(f"{len(extra)} labelled texts from curators' decisions", err=True)
    card = train(
        open_catalogue(), load_lexicon(settings.catalogue_dir), target, seed=seed, extra=extra,
        log=lambda m: typer.echo(m, err=True),
    )  # fmt: skip
    _print_metrics(card["metrics"])
    typer.echo(f"model: {target} (card {target.name}.card.json, sha256 {card['sha256'][:12]}...)")


@app.command("evaluate")
def evaluate_cmd(model: ModelOption = None, as_json: JsonOption = False) -> None:
    """Measure the model on the held-out test split of the project's labelled texts."""
    from classifier.evaluate import metrics, run_scenarios
    from classifier.lexicon import load_lexicon
    from classifier.training_data import build_training_texts

    clf = _classifier(model)
    lexicon = load_lexicon(get_settings().catalogue_dir)
    texts = build_training_texts(clf.catalogue, lexicon, seed=clf.card.get("seed", 20261127))
    test = [t for t in texts if t.split == "test"]
    figures = metrics(run_scenarios(clf, test))
    if as_json:
        print_json(figures)
    else:
        _print_metrics(figures)


def _print_metrics(figures: dict[str, Any]) -> None:
    hs = figures["hs_suggestions"]
    typer.echo(f"held-out texts: {figures['texts']} (the project's own labelled texts, generated data)")
    typer.echo(
        f"HS6 top-1 {hs['hs6_top1']:.1%}  top-3 {hs['hs6_top3']:.1%}   HS4 top-1 {hs['hs4_top1']:.1%}  top-3 {hs['hs4_top3']:.1%}"
    )
    for scenario in ("with_code", "text_only"):
        s = figures[scenario]
        typer.echo(
            f"category, {scenario:<9}: accuracy {s['category_accuracy']:.1%}, macro-F1 {s['category_macro_f1']:.3f}, "
            f"needs review {s['needs_review_share']:.1%}"
        )
    typer.echo(f"calibration error (ECE): {figures['calibration_ece']:.3f}")
    for w in figures["worst_categories"]:
        typer.echo(
            f"  worst: {w['category']} recall {w['recall']:.1%} of {w['texts']}, mistaken for {w['mistaken_for']}"
        )


tokens_app = typer.Typer(help="API tokens: create, list, revoke (stored hashed).", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the token, e.g. 'statistics platform'.")],
    role: Annotated[
        str, typer.Option(help="analyst (classify, read), curator (also curate) or admin (also tokens).")
    ] = "analyst",
) -> None:
    """Create a token; its secret is printed once and only its hash is kept."""
    from classifier.tokens import create_token

    token = create_token(open_store(), name, role)
    typer.echo(f"token {token.id} ({token.role}) for {token.name}:")
    typer.echo(token.secret)
    typer.echo("keep it now: it cannot be shown again", err=True)


@tokens_app.command("list")
def tokens_list(as_json: JsonOption = False) -> None:
    """List tokens (id, name, role, prefix, created, revoked); never their secrets."""
    from classifier.tokens import list_tokens

    tokens = list_tokens(open_store())
    if as_json:
        print_json(
            [
                {**t.__dict__, "secret": None, "created_at": str(t.created_at), "revoked_at": str(t.revoked_at or "")}
                for t in tokens
            ]
        )
        return
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        typer.echo(f"{t.id:>4}  {t.role:<8} {t.prefix}...  {t.created_at:%Y-%m-%d %H:%M}  {state:<24} {t.name}")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see tokens list).")]) -> None:
    """Revoke a token: it stops working at once."""
    from classifier.tokens import revoke_token

    token = revoke_token(open_store(), token_id)
    typer.echo(f"revoked token {token.id} ({token.role}) for {token.name}")


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default $GREENTRADE_HOST or 127.0.0.1.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default $GREENTRADE_PORT or 8000.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes; default $GREENTRADE_WORKERS or 1.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default SQLite in the data directory.")
    ] = None,
    model: ModelOption = None,
) -> None:
    """Run the HTTP API (uvicorn). Options override the GREENTRADE_* environment, which workers inherit."""
    import uvicorn

    overrides = {"HOST": host, "PORT": port, "WORKERS": workers, "DATABASE_URL": database_url, "MODEL_PATH": model}
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"GREENTRADE_{key}"] = str(value)
    get_settings.cache_clear()
    settings = get_settings()
    from classifier.store import Store

    Store.open(settings.db_url)  # migrate once, before the workers start
    typer.echo(
        f"greentrade API on http://{settings.host}:{settings.port} ({settings.workers} worker(s)); docs at /docs",
        err=True,
    )
    config = uvicorn.Config(
        "api.main:create_app", factory=True, host=settings.host, port=settings.port, workers=settings.workers,
        log_level="warning", access_log=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    sock = config.bind_socket()
    # Accepted connections inherit this from the listening socket. Without it, worker processes
    # (which get the socket from this one) answer small requests 40 ms late (Nagle + delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


register_curation(app)


def main() -> None:
    """Console entry point: run the app, turning library errors into one readable line."""
    try:
        app()
    except GreentradeError as exc:
        typer.echo(f"error 错误: {exc}", err=True)
        sys.exit(2)
