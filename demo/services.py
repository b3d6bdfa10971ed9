"""Demo data and demo users.

``demo_plan_build`` is pure: from an item count, a seed and an anchor date it builds
the whole demo data set in memory — items, suppliers, sources and a year of
deliveries and stock movements — by simulating the year day by day (receipts in
the morning, issues during two shifts, orders in the afternoon), so stock is
never negative at any moment. The same arguments give the same plan.

``demo_data_seed`` writes a plan into an empty database: bulk inserts for the
master data and deliveries, and the stock ledger's ``movements_bulk_post`` for
the movements, so ``on_hand`` is exactly the sum of each item's movements.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory_site.db import advisory_xact_lock
from inventory_site.errors import DomainError
from items.models import Item, MovementKind
from items.services import MovementInput, movements_bulk_post
from suppliers.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Supplier,
    SupplierItem,
)

from .catalogue import (
    CATEGORIES,
    GENERIC_REJECTION_REASONS,
    SUPPLIERS,
    TEMPLATES,
    Category,
    SupplierProfile,
    Template,
)

DEFAULT_ITEMS = 300
DEFAULT_SEED = 4711
HISTORY_DAYS = 365
ANNUAL_SPEND_PER_ITEM = 9_000  # the range buys about N × 9,000 a year
PILOT_SHARE = Decimal("0.05")
VALUE_SIGMA = 1.9  # spread of annual values (log-normal)
CONTINUOUS_UNITS = frozenset({"kg", "m", "l"})  # issued in steps of 0.5
# Demand by weekday: Monday–Friday full, a short Saturday shift, Sunday closed.
WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.0)
WEEKDAY_NORM = 7 / sum(WEEKDAY_FACTOR)
WORKDAYS_PER_YEAR = 365 * 5 / 7
HALF = Decimal("0.5")
ADVISORY_LOCK_KEY = 0x5EED_DE30  # PostgreSQL: one seeder at a time


# --- The plan -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemSpec:
    sku: str
    name: str
    unit: str
    unit_cost: Decimal
    annual_demand: Decimal
    jit_pilot: bool
    shelf_life_days: int | None


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    code: str
    name: str
    contact_name: str
    email: str
    phone: str
    jit_pilot: bool


@dataclass(frozen=True, slots=True)
class SourceSpec:
    supplier_code: str
    sku: str
    supplier_sku: str
    unit_price: Decimal
    quoted_lead_time_days: int
    min_order_qty: Decimal
    order_multiple: Decimal
    priority: int


@dataclass(frozen=True, slots=True)
class LineSpec:
    sku: str
    quantity_ordered: Decimal
    quantity_received: Decimal
    quantity_rejected: Decimal
    rejection_reason: str
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class DeliverySpec:
    reference: str
    supplier_code: str
    status: str
    ordered_at: datetime
    promised_date: date
    received_at: datetime | None
    lines: tuple[LineSpec, ...]


@dataclass(frozen=True, slots=True)
class MovementSpec:
    """``quantity`` carries the ledger sign; a receipt names its delivery line
    by (delivery reference, sku)."""

    sku: str
    kind: str
    quantity: Decimal
    occurred_at: datetime
    note: str = ""
    delivery_reference: str = ""


@dataclass(frozen=True)
class DemoPlan:
    today: date
    items: tuple[ItemSpec, ...]
    suppliers: tuple[SupplierSpec, ...]
    sources: tuple[SourceSpec, ...]
    deliveries: tuple[DeliverySpec, ...]
    movements: tuple[MovementSpec, ...]


# --- Simulation state (mutable, private) ------------------------------------------


@dataclass(slots=True)
class _Source:
    profile: SupplierProfile
    spec: SourceSpec
    moq: int  # in steps
    multiple: int  # in steps


@dataclass(slots=True)
class _ItemSim:
    spec: ItemSpec
    category: Category
    rank: int  # 1 = highest annual value
    steps_per_unit: int
    pattern: str  # stable, seasonal, intermittent
    mean: float  # expected demand per calendar day, in steps
    sources: list[_Source]
    cycle_days: int = 30
    safety_days: int = 3
    amplitude: float = 0.0
    phase: float = 0.0
    noise_k: float = 10.0
    burst_rate: float = 0.0
    burst_mean: float = 0.0
    on_hand: int = 0
    on_order: int = 0

    def quantity(self, steps: int) -> Decimal:
        return Decimal(steps) if self.steps_per_unit == 1 else Decimal(steps) * HALF


@dataclass(slots=True)
class _LineSim:
    item: _ItemSim
    source: _Source
    ordered: int
    received: int = 0
    rejected: int = 0
    reason: str = ""


@dataclass(slots=True)
class _DeliverySim:
    reference: str
    profile: SupplierProfile
    ordered_at: datetime
    promised_date: date
    lines: list[_LineSim]
    received_at: datetime | None = None


def _money(value: float) -> Decimal:
    places = Decimal("0.01") if value >= 1 else Decimal("0.0001")
    return Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:  # Knuth
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _quotas(total: int) -> list[int]:
    """Items per category by share, largest remainder first."""
    exact = [category.share * total for category in CATEGORIES]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(
        range(len(exact)), key=lambda i: (counts[i] - exact[i], i)
    )  # largest remainder first
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _pick_templates(
    rng: random.Random, templates: tuple[Template, ...], count: int
) -> list[Template]:
    """``count`` distinct templates; beyond the catalogue, numbered variants."""
    if count <= len(templates):
        return rng.sample(templates, count)
    picked = list(templates)
    variant = 2
    while len(picked) < count:
        for template in rng.sample(templates, len(templates)):
            if len(picked) == count:
                break
            picked.append(
                Template(
                    f"{template.name} / variant {variant}",
                    template.unit,
                    template.unit_cost,
                    template.order_multiple,
                    template.moq_packs,
                    template.shelf_life_days,
                    template.sole_source,
                )
            )
        variant += 1
    return picked


class _Planner:
    def __init__(self, *, items: int, seed: int, today: date):
        self.count = items
        self.rng = random.Random(seed)
        self.today = today
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.tz = timezone.get_default_timezone()
        self.profiles = {profile.code: profile for profile in SUPPLIERS}
        self.movements: list[MovementSpec] = []
        self.deliveries: list[_DeliverySim] = []
        self.arrivals: dict[date, list[_DeliverySim]] = defaultdict(list)

    def at(self, day: date, first_minute: int, last_minute: int) -> datetime:
        minute = self.rng.randrange(first_minute, last_minute)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    # -- master data ---------------------------------------------------------------

    def build_items(self) -> list[_ItemSim]:
        rng = self.rng
        drafts = []  # (category, template, sku, unit cost, score)
        for category, quota in zip(CATEGORIES, _quotas(self.count), strict=True):
            templates = _pick_templates(rng, TEMPLATES[category.prefix], quota)
            for number, template in enumerate(templates, start=1001):
                cost = template.unit_cost * rng.lognormvariate(0, 0.08)
                # Expensive parts and bulk consumables tend to carry the value.
                score = 0.55 * math.log(cost) + category.volume_bias + rng.gauss(0, 0.9)
                sku = f"{category.prefix}-{number}"
                drafts.append((category, template, sku, _money(cost), score))

        # Pareto: annual values spread like the quantiles of a log-normal
        # distribution (σ 1.9), the classic ABC shape — about 15 % of the items
        # carry 80 % of the value and half the range shares the last 5 %.
        drafts.sort(key=lambda d: (-d[4], d[2]))
        total = len(drafts)
        weights = [
            math.exp(VALUE_SIGMA * NormalDist().inv_cdf((total - rank + 0.5) / total))
            * rng.lognormvariate(0, 0.1)
            for rank in range(1, total + 1)
        ]
        spend = ANNUAL_SPEND_PER_ITEM * len(drafts) / sum(weights)

        sims = []
        for rank, ((category, template, sku, cost, _), weight) in enumerate(
            zip(drafts, weights, strict=True), start=1
        ):
            minimum = 2 if cost >= 200 else 6
            units = min(
                max(weight * spend / float(cost), minimum), category.max_annual_demand
            )
            steps_per_unit = 2 if template.unit in CONTINUOUS_UNITS else 1
            mean = units * steps_per_unit / 365
            pattern = rng.choices(
                ("stable", "seasonal", "intermittent"), weights=category.patterns
            )[0]
            # Slow movers are intermittent; what is used every day is not.
            if units / 365 < 0.1:
                pattern = "intermittent"
            elif units / 365 > 1.5 and pattern == "intermittent":
                pattern = "stable"
            planned = Decimal(round(units * rng.uniform(0.9, 1.1)))
            spec = ItemSpec(
                sku=sku,
                name=template.name,
                unit=template.unit,
                unit_cost=cost,
                annual_demand=max(planned, Decimal(1)),
                jit_pilot=False,
                shelf_life_days=template.shelf_life_days,
            )
            sim = _ItemSim(
                spec=spec,
                category=category,
                rank=rank,
                steps_per_unit=steps_per_unit,
                pattern=pattern,
                mean=mean,
                sources=self.build_sources(category, template, spec, steps_per_unit),
            )
            self.tune(sim)
            sims.append(sim)
        sims.sort(key=lambda s: s.spec.sku)
        self.choose_pilot(sims)
        return sims

    def build_sources(
        self, category: Category, template: Template, item: ItemSpec, steps: int
    ) -> list[_Source]:
        rng = self.rng
        if template.sole_source:
            codes = [template.sole_source]
        else:
            candidates = list(category.suppliers)
            if len(candidates) > 1 and rng.random() < 0.15:
                candidates[0], candidates[1] = candidates[1], candidates[0]
            wanted = rng.choices((1, 2, 3), weights=(0.40, 0.42, 0.18))[0]
            codes = [candidates[0], *rng.sample(candidates[1:], len(candidates) - 1)]
            codes = codes[:wanted]
        sources = []
        for priority, code in enumerate(codes, start=1):
            profile = self.profiles[code]
            markup = 1.0 if priority == 1 else rng.uniform(1.03, 1.15)
            price = float(item.unit_cost) * profile.price_factor * markup
            price *= rng.uniform(0.97, 1.03)
            multiple = template.order_multiple
            packs = template.moq_packs if priority == 1 else 1
            spec = SourceSpec(
                supplier_code=code,
                sku=item.sku,
                supplier_sku=f"{profile.sku_prefix}-{rng.randint(10000, 99999)}",
                unit_price=_money(price),
                quoted_lead_time_days=rng.randint(*profile.lead_days),
                min_order_qty=Decimal(multiple * packs),
                order_multiple=Decimal(multiple),
                priority=priority,
            )
            sources.append(
                _Source(
                    profile,
                    spec,
                    moq=multiple * packs * steps,
                    multiple=multiple * steps,
                )
            )
        return sources

    def tune(self, sim: _ItemSim) -> None:
        """Demand shape and the buyer's ordering habits for one item."""
        rng = self.rng
        if sim.pattern == "stable":
            sim.noise_k = rng.uniform(6, 20)
        elif sim.pattern == "seasonal":
            sim.amplitude = rng.uniform(0.35, 0.7)
            sim.phase = rng.uniform(0, 365)
            sim.noise_k = rng.uniform(6, 15)
        else:
            sim.burst_rate = rng.uniform(0.03, 0.15)
            sim.burst_mean = max(
                1.0, sim.mean * 365 / (sim.burst_rate * WORKDAYS_PER_YEAR)
            )
        share = sim.rank / self.count
        sim.cycle_days = 14 if share <= 0.2 else 30 if share <= 0.5 else 60
        # Buyers learn: an unreliable supplier gets more safety time.
        primary = sim.sources[0].profile
        usual_delay = (1 - primary.on_time_rate) * sum(primary.late_days) / 2
        sim.safety_days = rng.randint(2, 4) + round(2 * usual_delay)

    def choose_pilot(self, sims: list[_ItemSim]) -> None:
        """About 5 % of the range, from stable valuable items with a reliable
        primary supplier: where JIT is meant to start."""
        wanted = max(
            1, int((PILOT_SHARE * self.count).to_integral_value(ROUND_HALF_UP))
        )
        fits = [
            s
            for s in sims
            if s.rank <= max(1, round(0.4 * self.count))
            and s.pattern != "intermittent"
            and s.sources[0].profile.on_time_rate >= 0.85
        ]
        if len(fits) >= wanted:
            chosen = self.rng.sample(fits, wanted)
        else:  # a tiny range: fill up with the most valuable of the rest
            rest = sorted((s for s in sims if s not in fits), key=lambda s: s.rank)
            chosen = fits + rest[: wanted - len(fits)]
        for sim in chosen:
            sim.spec = replace(sim.spec, jit_pilot=True)
            sim.cycle_days = 7

    # -- the year ------------------------------------------------------------------

    def season(self, sim: _ItemSim, day: date) -> float:
        if not sim.amplitude:
            return 1.0
        angle = 2 * math.pi * (day.timetuple().tm_yday + sim.phase) / 365.25
        return 1 + sim.amplitude * math.sin(angle)

    def reorder_point(self, sim: _ItemSim, source: _Source, day: date) -> float:
        """What the buyer keeps for the lead time plus a little safety: demand over
        lead and safety days, plus a buffer for demand swings (a burst for
        intermittent items, about 1.65 σ for the others)."""
        expected = sim.mean * self.season(sim, day)
        days = source.spec.quoted_lead_time_days + sim.safety_days
        if sim.pattern == "intermittent":
            buffer = 1.5 * sim.burst_mean
        else:
            variance = expected * WEEKDAY_NORM * (1 + expected / sim.noise_k)
            buffer = 1.65 * math.sqrt(variance * days)
        return expected * days + buffer

    def open_stock(self, sims: list[_ItemSim]) -> None:
        for sim in sims:
            source = sim.sources[0]
            level = self.reorder_point(sim, source, self.start)
            level += sim.mean * sim.cycle_days * self.rng.uniform(0.3, 0.9)
            steps = max(math.ceil(level), source.moq)
            sim.on_hand = steps
            self.movements.append(
                MovementSpec(
                    sku=sim.spec.sku,
                    kind=MovementKind.ADJUSTMENT,
                    quantity=sim.quantity(steps),
                    occurred_at=self.at(self.start, 5 * 60, 6 * 60),
                    note="Opening balance (stock count)",
                )
            )

    def simulate(self, sims: list[_ItemSim]) -> None:
        self.open_stock(sims)
        for offset in range(HISTORY_DAYS):
            day = self.start + timedelta(days=offset)
            self.receive(day)
            for sim in sims:
                self.issue(sim, day)
            for sim in sims:
                self.count_and_scrap(sim, day)
            if day.weekday() < 5:
                self.order(sims, day)
        self.make_one_open_delivery_late()

    def receive(self, day: date) -> None:
        rng = self.rng
        for delivery in self.arrivals.pop(day, ()):
            delivery.received_at = self.at(day, 6 * 60, 7 * 60 + 30)
            profile = delivery.profile
            for line in delivery.lines:
                received = line.ordered
                if (
                    rng.random() < profile.short_rate
                    and line.ordered > line.source.multiple
                ):
                    short = line.ordered * rng.uniform(0.1, 0.4) // line.source.multiple
                    received -= max(1, int(short)) * line.source.multiple
                    if received <= 0:
                        received = line.ordered
                rejected = 0
                if rng.random() < profile.rejection_rate:
                    rejected = min(
                        received,
                        max(1, round(received * rng.uniform(*profile.rejected_share))),
                    )
                    reasons = line.item.category.rejection_reasons
                    if rng.random() < 0.3:
                        reasons = GENERIC_REJECTION_REASONS
                    line.reason = rng.choice(reasons)
                line.received, line.rejected = received, rejected
                sim = line.item
                sim.on_order -= line.ordered
                accepted = received - rejected
                if accepted:
                    sim.on_hand += accepted
                    self.movements.append(
                        MovementSpec(
                            sku=sim.spec.sku,
                            kind=MovementKind.RECEIPT,
                            quantity=sim.quantity(accepted),
                            occurred_at=delivery.received_at,
                            note=f"Delivery {delivery.reference}",
                            delivery_reference=delivery.reference,
                        )
                    )

    def demand(self, sim: _ItemSim, day: date) -> int:
        rng = self.rng
        weekday = day.weekday()
        if sim.pattern == "intermittent":
            if weekday >= 5 or rng.random() >= sim.burst_rate:
                return 0
            return max(1, round(sim.burst_mean * rng.lognormvariate(-0.125, 0.5)))
        factor = WEEKDAY_FACTOR[weekday]
        if not factor:
            return 0
        lam = sim.mean * self.season(sim, day) * factor * WEEKDAY_NORM
        return _poisson(rng, lam * rng.gammavariate(sim.noise_k, 1 / sim.noise_k))

    def issue(self, sim: _ItemSim, day: date) -> None:
        wanted = self.demand(sim, day)
        if not wanted or not sim.on_hand:
            return  # nothing asked for, or a stockout: the demand is lost
        rng = self.rng
        if sim.pattern == "intermittent":
            parts = [
                (
                    wanted,
                    7 * 60 + 30,
                    21 * 60,
                    f"Work order WO-{rng.randint(20000, 89999)}",
                )
            ]
        elif wanted >= 6:
            first = min(wanted - 1, max(1, round(wanted * rng.uniform(0.35, 0.65))))
            parts = [
                (first, 7 * 60 + 30, 14 * 60, "Early shift"),
                (wanted - first, 14 * 60, 22 * 60, "Late shift"),
            ]
        else:
            parts = [(wanted, 7 * 60 + 30, 22 * 60, "")]
        for steps, first_minute, last_minute, note in parts:
            steps = min(steps, sim.on_hand)
            if not steps:
                return
            sim.on_hand -= steps
            self.movements.append(
                MovementSpec(
                    sku=sim.spec.sku,
                    kind=MovementKind.ISSUE,
                    quantity=-sim.quantity(steps),
                    occurred_at=self.at(day, first_minute, last_minute),
                    note=note,
                )
            )

    def count_and_scrap(self, sim: _ItemSim, day: date) -> None:
        """Now and then a cycle count finds a difference or stock is scrapped."""
        if day.weekday() >= 5 or not sim.on_hand:
            return
        rng = self.rng
        roll = rng.random()
        if roll < 1 / 250:
            difference = max(1, round(sim.on_hand * rng.uniform(0.005, 0.03)))
            if rng.random() < 0.6:
                difference = -min(difference, sim.on_hand)
            kind, note = MovementKind.ADJUSTMENT, "Cycle count difference"
        elif sim.spec.shelf_life_days and roll < 1 / 250 + 1 / 120:
            share = rng.uniform(0.02, 0.1)
            difference = -min(sim.on_hand, max(1, round(sim.on_hand * share)))
            kind, note = MovementKind.SCRAP, "Expired: shelf life exceeded"
        elif roll < 1 / 250 + 1 / 600:
            difference = -1
            kind, note = MovementKind.SCRAP, "Damaged in handling"
        else:
            return
        sim.on_hand += difference
        self.movements.append(
            MovementSpec(
                sku=sim.spec.sku,
                kind=kind,
                quantity=sim.quantity(difference),
                occurred_at=self.at(day, 22 * 60, 23 * 60),
                note=note,
            )
        )

    def order(self, sims: list[_ItemSim], day: date) -> None:
        """End of a working day: order what fell to its reorder point, one
        delivery per supplier."""
        rng = self.rng
        pending: dict[str, list[_LineSim]] = defaultdict(list)
        for sim in sims:
            primary = sim.sources[0]
            source = primary
            if len(sim.sources) > 1:
                # Now and then the secondary source: when it is faster and stock is
                # short, or just for a change when it is not much slower.
                backup = sim.sources[1]
                gap = (
                    backup.spec.quoted_lead_time_days
                    - primary.spec.quoted_lead_time_days
                )
                urgent = sim.on_hand < sim.mean * primary.spec.quoted_lead_time_days / 2
                if (urgent and gap < 0) or (gap <= 3 and rng.random() < 0.03):
                    source = backup
            position = sim.on_hand + sim.on_order
            trigger = self.reorder_point(sim, source, day)
            if position > trigger:
                continue
            expected = sim.mean * self.season(sim, day)
            steps = max(math.ceil(trigger + expected * sim.cycle_days - position), 1)
            shelf_life = sim.spec.shelf_life_days
            if shelf_life:
                steps = min(steps, max(1, math.floor(expected * shelf_life * 0.5)))
            steps = max(steps, source.moq)
            steps = -(-steps // source.multiple) * source.multiple
            pending[source.profile.code].append(_LineSim(sim, source, steps))
        for profile in SUPPLIERS:
            lines = pending.get(profile.code)
            if lines:
                self.place(profile, lines, day)

    def place(self, profile: SupplierProfile, lines: list[_LineSim], day: date) -> None:
        rng = self.rng
        lead = max(line.source.spec.quoted_lead_time_days for line in lines)
        promised = _workday(day + timedelta(days=lead))
        roll = rng.random()
        if roll < profile.on_time_rate:
            lateness = -1 if rng.random() < profile.early_rate else 0
        else:
            lateness = rng.randint(*profile.late_days)
        arrival = _workday(
            max(promised + timedelta(days=lateness), day + timedelta(days=1))
        )
        delivery = _DeliverySim(
            reference=f"PO-{day.year}-{len(self.deliveries) + 1:05d}",
            profile=profile,
            ordered_at=self.at(day, 15 * 60, 18 * 60),
            promised_date=promised,
            lines=lines,
        )
        for line in lines:
            line.item.on_order += line.ordered
        self.deliveries.append(delivery)
        self.arrivals[arrival].append(delivery)

    def make_one_open_delivery_late(self) -> None:
        """Late open deliveries are part of the picture; if chance produced none,
        the least reliable supplier's oldest open delivery slipped its promise."""
        still_open = [d for dates in self.arrivals.values() for d in dates]
        if not still_open or any(d.promised_date < self.today for d in still_open):
            return
        candidates = [
            d
            for d in still_open
            if timezone.localtime(d.ordered_at).date() < self.today - timedelta(days=2)
        ]
        if candidates:
            delivery = min(
                candidates,
                key=lambda d: (d.profile.on_time_rate, d.ordered_at, d.reference),
            )
            delivery.promised_date = self.today - timedelta(days=1)

    # -- the result ----------------------------------------------------------------

    def delivery_specs(self) -> tuple[DeliverySpec, ...]:
        specs = []
        for delivery in self.deliveries:
            received = delivery.received_at is not None
            lines = tuple(
                LineSpec(
                    sku=line.item.spec.sku,
                    quantity_ordered=line.item.quantity(line.ordered),
                    quantity_received=line.item.quantity(line.received),
                    quantity_rejected=line.item.quantity(line.rejected),
                    rejection_reason=line.reason,
                    unit_price=line.source.spec.unit_price,
                )
                for line in delivery.lines
            )
            specs.append(
                DeliverySpec(
                    reference=delivery.reference,
                    supplier_code=delivery.profile.code,
                    status=DeliveryStatus.RECEIVED
                    if received
                    else DeliveryStatus.ORDERED,
                    ordered_at=delivery.ordered_at,
                    promised_date=delivery.promised_date,
                    received_at=delivery.received_at,
                    lines=lines,
                )
            )
        return tuple(specs)


def demo_plan_build(
    *, items: int = DEFAULT_ITEMS, seed: int = DEFAULT_SEED, today: date
) -> DemoPlan:
    """The demo data set for ``items`` items, a year up to ``today`` (exclusive)."""
    if items < 1:
        raise ValueError("The demo needs at least one item.")
    planner = _Planner(items=items, seed=seed, today=today)
    sims = planner.build_items()
    planner.simulate(sims)
    return DemoPlan(
        today=today,
        items=tuple(sim.spec for sim in sims),
        suppliers=tuple(
            SupplierSpec(p.code, p.name, p.contact_name, p.email, p.phone, p.jit_pilot)
            for p in SUPPLIERS
        ),
        sources=tuple(source.spec for sim in sims for source in sim.sources),
        deliveries=planner.delivery_specs(),
        movements=tuple(planner.movements),
    )


# --- Writing the plan ---------------------------------------------------------------


class DemoDataConflict(DomainError):
    """The database holds suppliers or deliveries but no items (a conflict with
    the data there); the message is meant for the user."""

    code = "not_empty"
    status = 409


@dataclass(frozen=True)
class DemoSeedResult:
    existing_items: int = 0  # > 0: data was already there, nothing written
    items: int = 0
    pilot_items: int = 0
    suppliers: int = 0
    sources: int = 0
    deliveries: int = 0
    open_deliveries: int = 0
    late_deliveries: int = 0
    delivery_lines: int = 0
    movements: int = 0
    movements_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return self.existing_items > 0


def demo_data_seed(
    *,
    items: int = DEFAULT_ITEMS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
) -> DemoSeedResult:
    """Load the demo data set unless items exist already (then nothing changes).

    Raises ``DemoDataConflict`` when there are suppliers or deliveries but no
    items: the demo only fills an empty database.
    """
    today = today or timezone.localdate()
    existing = Item.objects.count()
    if existing:
        return DemoSeedResult(existing_items=existing)
    plan = demo_plan_build(items=items, seed=seed, today=today)
    with transaction.atomic():
        advisory_xact_lock(ADVISORY_LOCK_KEY)
        existing = Item.objects.count()  # again, now that we hold the lock
        if existing:
            return DemoSeedResult(existing_items=existing)
        suppliers, deliveries = Supplier.objects.count(), Delivery.objects.count()
        if suppliers or deliveries:
            raise DemoDataConflict(
                f"The database has {suppliers} supplier(s) and {deliveries} "
                "deliveries but no items; seed_demo only fills an empty database. "
                "Nothing was written."
            )
        return _plan_write(plan)


def _plan_write(plan: DemoPlan) -> DemoSeedResult:
    Item.objects.bulk_create(
        (
            Item(
                sku=spec.sku,
                name=spec.name,
                unit=spec.unit,
                unit_cost=spec.unit_cost,
                annual_demand=spec.annual_demand,
                jit_pilot=spec.jit_pilot,
                shelf_life_days=spec.shelf_life_days,
            )
            for spec in plan.items
        ),
        batch_size=1000,
    )
    item_ids = dict(Item.objects.values_list("sku", "pk"))
    Supplier.objects.bulk_create(
        Supplier(
            code=spec.code,
            name=spec.name,
            contact_name=spec.contact_name,
            email=spec.email,
            phone=spec.phone,
            jit_pilot=spec.jit_pilot,
        )
        for spec in plan.suppliers
    )
    supplier_ids = dict(Supplier.objects.values_list("code", "pk"))
    SupplierItem.objects.bulk_create(
        (
            SupplierItem(
                supplier_id=supplier_ids[spec.supplier_code],
                item_id=item_ids[spec.sku],
                supplier_sku=spec.supplier_sku,
                unit_price=spec.unit_price,
                quoted_lead_time_days=spec.quoted_lead_time_days,
                min_order_qty=spec.min_order_qty,
                order_multiple=spec.order_multiple,
                priority=spec.priority,
            )
            for spec in plan.sources
        ),
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                supplier_id=supplier_ids[spec.supplier_code],
                reference=spec.reference,
                status=spec.status,
                ordered_at=spec.ordered_at,
                promised_date=spec.promised_date,
                received_at=spec.received_at,
                created_at=spec.ordered_at,
            )
            for spec in plan.deliveries
        ),
        batch_size=2000,
    )
    delivery_ids = dict(Delivery.objects.values_list("reference", "pk"))
    DeliveryLine.objects.bulk_create(
        (
            DeliveryLine(
                delivery_id=delivery_ids[spec.reference],
                item_id=item_ids[line.sku],
                quantity_ordered=line.quantity_ordered,
                quantity_received=line.quantity_received,
                quantity_rejected=line.quantity_rejected,
                rejection_reason=line.rejection_reason,
                unit_price=line.unit_price,
            )
            for spec in plan.deliveries
            for line in spec.lines
        ),
        batch_size=2000,
    )
    line_ids = {
        (delivery_id, item_id): pk
        for delivery_id, item_id, pk in DeliveryLine.objects.values_list(
            "delivery_id", "item_id", "pk"
        )
    }
    movements = [
        MovementInput(
            item_id=item_ids[spec.sku],
            kind=spec.kind,
            quantity=spec.quantity,
            occurred_at=spec.occurred_at,
            note=spec.note,
            delivery_line_id=(
                line_ids[(delivery_ids[spec.delivery_reference], item_ids[spec.sku])]
                if spec.delivery_reference
                else None
            ),
        )
        for spec in plan.movements
    ]
    movements_bulk_post(movements=movements)

    by_kind: dict[str, int] = defaultdict(int)
    for spec in plan.movements:
        by_kind[spec.kind] += 1
    open_deliveries = [d for d in plan.deliveries if d.received_at is None]
    return DemoSeedResult(
        items=len(plan.items),
        pilot_items=sum(spec.jit_pilot for spec in plan.items),
        suppliers=len(plan.suppliers),
        sources=len(plan.sources),
        deliveries=len(plan.deliveries),
        open_deliveries=len(open_deliveries),
        late_deliveries=sum(d.promised_date < plan.today for d in open_deliveries),
        delivery_lines=sum(len(d.lines) for d in plan.deliveries),
        movements=len(movements),
        movements_by_kind=dict(sorted(by_kind.items())),
    )


# --- Demo users -----------------------------------------------------------------------

DEMO_USERS = (("admin", True), ("staff", False))  # (username, superuser)


@dataclass(frozen=True)
class DemoUsersResult:
    created: tuple[str, ...]
    password_set: tuple[str, ...]  # created or given a new password
    generated_password: str = ""  # only when one was generated


def demo_password_generate() -> str:
    return secrets.token_urlsafe(18)  # 24 characters


def demo_users_ensure(*, password: str | None = None) -> DemoUsersResult:
    """Make sure ``admin`` (superuser) and ``staff`` (staff, not superuser) exist
    and are active.

    With a ``password``, both get it (after the site's password validators). Without
    one, existing users keep theirs and missing users get a generated password,
    returned as ``generated_password``. Raises ``ValidationError`` for a password
    the validators refuse; nothing changes then.
    """
    user_model = get_user_model()
    with transaction.atomic():
        existing = {
            user.username: user
            for user in user_model.objects.select_for_update().filter(
                username__in=[name for name, _ in DEMO_USERS]
            )
        }
        users = []
        for username, superuser in DEMO_USERS:
            user = existing.get(username) or user_model(
                username=username, email=f"{username}@example.com"
            )
            user.is_active = True
            user.is_staff = True
            user.is_superuser = superuser
            users.append(user)
        created = tuple(user.username for user in users if user.pk is None)

        generated = ""
        if password is None and created:
            generated = password = demo_password_generate()
            while not _password_valid(password, users):  # practically never loops
                generated = password = demo_password_generate()
        elif password is not None:
            for user in users:
                validate_password(password, user)

        password_set = []
        for user in users:
            # A given password goes to both users; a generated one only to new ones.
            if password is not None and (not generated or user.pk is None):
                user.set_password(password)
                password_set.append(user.username)
            user.save()
    return DemoUsersResult(
        created=created,
        password_set=tuple(password_set),
        generated_password=generated,
    )


def _password_valid(password: str, users) -> bool:
    try:
        for user in users:
            validate_password(password, user)
    except ValidationError:
        return False
    return True
