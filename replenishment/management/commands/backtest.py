import json

from django.core.management.base import BaseCommand, CommandError

from replenishment.backtest import RUNS
from replenishment.backtest_runner import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    BacktestError,
    backtest_run,
)

COLUMNS = (
    ("fill_rate", "fill", "{:.1%}"),
    ("cycle_service_level", "CSL", "{:.1%}"),
    ("stockout_days", "stockout d", "{:,}"),
    ("avg_on_hand_value", "avg on hand value", "{:,.2f}"),
    ("turns", "turns", "{:.2f}"),
    ("orders", "orders", "{:,}"),
    ("order_lines", "lines", "{:,}"),
)


class Command(BaseCommand):
    help = (
        "Replay the last N days of the ledger against the current policy, the ERP "
        "min/max baseline and what actually happened (DESIGN §6); print a table, "
        "or the report as JSON with --format json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
        parser.add_argument("--items", default="", help="SKU,SKU,… (default: all)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        skus = [s.strip() for s in options["items"].split(",") if s.strip()]
        try:
            report = backtest_run(
                days=options["days"], skus=skus or None, seed=options["seed"]
            )
        except BacktestError as error:
            raise CommandError(str(error)) from error
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        period = report["period"]
        self.stdout.write(
            f"Backtest of {report['items']} items over {report['days']} days "
            f"({period['start']} – {period['end']}), seed {report['seed']}; "
            f"{report['skipped']['count']} items skipped (too little history)."
        )
        header = f"{'group':<12}{'run':<10}" + "".join(
            f"{title:>19}" for _, title, _ in COLUMNS
        )
        self.stdout.write(header)
        groups = [("overall", report)]
        groups += [(f"class {k}", v) for k, v in report["by_class"].items()]
        groups += [(f"pattern {k}", v) for k, v in report["by_pattern"].items()]
        for name, group in groups:
            for run in RUNS:
                kpis = group[run]
                cells = "".join(
                    f"{fmt.format(kpis[key]):>19}" for key, _, fmt in COLUMNS
                )
                self.stdout.write(f"{name:<12}{run:<10}{cells}")
        for row in report["skipped"]["items"][:20]:
            self.stdout.write(f"skipped {row['sku']}: {row['reason']}")
