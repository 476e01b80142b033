"""CLI commands of this stage (registered by cli.main): ``cdp build-profiles``, ``cdp profile``."""

from __future__ import annotations

from typing import Any

import typer

from profiles.build import build_profiles
from profiles.lookup import find_customers, read_profile
from profiles.spark import build_profiles_spark

#: Profile engines: the builder and where it writes. Spark writes Parquet beside the DuckDB file,
#: which stays what the console, exports and analysts read.
ENGINES = {
    "duckdb": (build_profiles, lambda s: s.paths.duckdb),
    "spark": (build_profiles_spark, lambda s: s.paths.root / "spark" / "profiles"),
}


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("build-profiles")
    def build_profiles_cmd(
        ctx: typer.Context,
        engine: str = typer.Option(None, "--engine", help="duckdb (data/cdp.duckdb, the serving store) or "
                                   "spark (the same SQL on Spark SQL, Parquet in data/spark/profiles/); "
                                   "default: profiles.engine"),
    ) -> None:
        """Build data/cdp.duckdb (golden record, contacts, consent, channel, value) and swap it in."""
        from rich.console import Console
        from rich.table import Table

        engine = engine or ctx.obj.profiles.engine
        if engine not in ENGINES:
            raise typer.BadParameter(f"engine {engine!r} is not known; use one of {', '.join(ENGINES)}")
        builder, target = ENGINES[engine]
        counts = builder(ctx.obj)
        table = Table(title=f"profiles → {target(ctx.obj)}")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        Console().print(table)

    @app.command("profile")
    def profile_cmd(
        ctx: typer.Context,
        query: str = typer.Argument(
            ..., help="customer id, e-mail, phone, name, ERP customer number or bonus card number"
        ),
    ) -> None:
        """Show one customer's 360° profile in the terminal."""
        import duckdb
        from rich.console import Console


        console = Console()
        db = ctx.obj.paths.duckdb
        if not db.is_file():
            console.print(f"[red]{db} does not exist; run `cdp build-profiles` first[/red]")
            raise typer.Exit(2)
        con = duckdb.connect(str(db), read_only=True)
        try:
            ids = find_customers(con, query)
            if not ids:
                console.print("[yellow]No customer matches that query.[/yellow]")
                raise typer.Exit(1)
            if len(ids) > 1:
                _print_candidates(console, con, ids)
                return
            profile = read_profile(con, ids[0])
        finally:
            con.close()
        assert profile is not None  # the id came from the same database
        _print_profile(console, profile)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value) or "–"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _print_candidates(console, con, ids: list[str]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(ids)} customers match; run `cdp profile <customer id>`")
    for col in ("customer_id", "name", "postcode", "city", "sources"):
        table.add_column(col)
    for cid in ids[:50]:
        row = con.execute(
            "SELECT first_name, last_name, postcode, city, sources FROM customer WHERE customer_id = ?",
            [cid],
        ).fetchone()
        if row:
            table.add_row(cid, _fmt(f"{row[0] or ''} {row[1] or ''}".strip()), _fmt(row[2]),
                          _fmt(row[3]), _fmt(row[4]))
    console.print(table)


def _print_profile(console, profile: dict[str, Any]) -> None:
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table

    c = profile["customer"]
    name = " ".join(x for x in (c["salutation"], c["title"], c["first_name"], c["last_name"]) if x)

    def kv(rows: list[tuple[str, Any, str | None]], title: str) -> Panel:
        t = Table.grid(padding=(0, 1))
        t.add_column(style="bold")
        t.add_column()
        t.add_column(style="dim")
        for label, value, note in rows:
            t.add_row(label, _fmt(value), note or "")
        return Panel(t, title=title, expand=True)

    def src(attr: str) -> str | None:
        s, at = c.get(f"{attr}_source"), c.get(f"{attr}_updated_at")
        return f"{s} {_fmt(at)[:10]}" if s else None

    address = ", ".join(
        x for x in (" ".join(y for y in (c["street"], c["house_number"]) if y),
                    " ".join(y for y in (c["postcode"], c["city"]) if y), c["country"]) if x
    )
    who = kv([
        ("customer", c["customer_id"], f"{c['record_count']} records: {_fmt(c['sources'])}"),
        ("name", name, src("name")),
        ("birth date", c["birth_date"], src("birth_date")),
        ("e-mail", c["email"], (src("email") or "") + (" verified" if c["email_verified"] else "")),
        ("phone", c["phone"], src("phone")),
        ("mobile", c["mobile"], src("mobile")),
        ("address", address, src("address")),
        ("ERP no.", c["erp_customer_numbers"], None),
        ("card no.", c["bonus_card_numbers"], None),
        ("first/last seen", f"{_fmt(c['first_seen'])[:10]} / {_fmt(c['last_seen'])[:10]}", None),
    ], "Golden record")
    known = kv([
        ("e-mails", c["emails"], None),
        ("phones", c["phones"], None),
        ("addresses", "; ".join(c["addresses"]) or None, None),
    ], "All known contact data")
    value = kv([
        ("lifecycle", c["lifecycle_stage"], c["customer_type"]),
        ("orders", c["orders"], f"{c['returns']} returns"),
        ("revenue (net)", c["revenue"], f"gross {_fmt(c['gross_revenue'])}"),
        ("first/last buy", f"{_fmt(c['first_purchase_at'])[:10]} / {_fmt(c['last_purchase_at'])[:10]}", None),
        ("RFM", c["rfm_code"], c["rfm_segment"]),
        ("CLV estimate", c["clv_estimate"], "EUR"),
    ], "Value")
    console.print(Columns([who, known, value], expand=True))

    consent = Table(title="Consent (latest event wins)", expand=True)
    for col in ("purpose", "channel", "state", "since", "source", "method", "evidence"):
        consent.add_column(col)
    style = {"granted": "green", "withdrawn": "red", "unknown": "dim"}
    for r in profile["consent"]:
        consent.add_row(r["purpose"], r["channel"], f"[{style[r['state']]}]{r['state']}[/]",
                        _fmt(r["decided_at"]), _fmt(r["source"]), _fmt(r["method"]), _fmt(r["evidence"]))
    channels = Table(title="Preferred channel", expand=True)
    for col in ("purpose", "channel", "contact point", "why", "allowed"):
        channels.add_column(col)
    for r in profile["preferred_channel"]:
        channels.add_row(r["purpose"], _fmt(r["channel"]), _fmt(r["contact_point"]), r["reason"],
                         _fmt(r["allowed_channels"]))
    console.print(Columns([consent, channels], expand=True))

    contacts = Table(title=f"Recent contacts ({c['contact_count']} in total)", expand=True)
    for col in ("when", "source", "channel", "dir", "type", "summary", "outcome", "amount"):
        contacts.add_column(col)
    for r in c["recent_contacts"]:
        contacts.add_row(_fmt(r["ts"]), r["source"], _fmt(r["channel"]), _fmt(r["direction"]),
                         r["type"], _fmt(r["summary"]), _fmt(r["outcome"] or r["status"]),
                         _fmt(r["amount"]))
    console.print(contacts)
