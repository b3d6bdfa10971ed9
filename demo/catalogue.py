"""What the demo company buys and from whom: item templates, categories and
supplier profiles for ``seed_demo``. Plain data, no database access."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Template:
    """One part or consumable as it appears in a price list."""

    name: str
    unit: str
    unit_cost: float
    order_multiple: int = 1
    moq_packs: int = 1
    shelf_life_days: int | None = None
    sole_source: str = ""  # supplier code when only that supplier makes it


@dataclass(frozen=True, slots=True)
class Category:
    prefix: str
    title: str
    share: float  # of the item range
    suppliers: tuple[str, ...]  # usual primary first, then alternatives
    volume_bias: float  # > 0: used in bulk, tends to high annual value
    max_annual_demand: int
    patterns: tuple[float, float, float]  # weights: stable, seasonal, intermittent
    rejection_reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SupplierProfile:
    code: str
    name: str
    contact_name: str
    email: str
    phone: str
    sku_prefix: str
    lead_days: tuple[int, int]  # quoted lead time range
    on_time_rate: float
    late_days: tuple[int, int]  # when late
    early_rate: float
    rejection_rate: float  # share of lines with rejected parts
    rejected_share: tuple[float, float]  # of the line, when rejected
    short_rate: float  # share of lines shipped short
    price_factor: float
    jit_pilot: bool = False


SUPPLIERS: tuple[SupplierProfile, ...] = (
    SupplierProfile(
        "NORDFAST", "Nordfast Befestigungstechnik GmbH", "Jana Petersen",
        "orders@nordfast.example", "+49 40 5550 1200", "NF",
        (2, 3), 0.97, (1, 2), 0.04, 0.01, (0.02, 0.08), 0.01, 1.00, jit_pilot=True,
    ),
    SupplierProfile(
        "BALTICPACK", "Baltic Packaging Sp. z o.o.", "Marek Nowak",
        "sales@balticpack.example", "+48 58 555 0140", "BP",
        (2, 4), 0.95, (1, 2), 0.03, 0.01, (0.02, 0.10), 0.02, 0.98, jit_pilot=True,
    ),
    SupplierProfile(
        "RHEININD", "Rhein Industriebedarf GmbH", "Thomas Keller",
        "vertrieb@rhein-industrie.example", "+49 221 555 3870", "RI",
        (3, 5), 0.91, (1, 3), 0.05, 0.015, (0.02, 0.10), 0.02, 1.04,
    ),
    SupplierProfile(
        "QUICKPARTS", "QuickParts Distribution B.V.", "Sanne de Vries",
        "service@quickparts.example", "+31 20 555 8800", "QP",
        (1, 2), 0.93, (1, 2), 0.00, 0.01, (0.02, 0.10), 0.03, 1.15,
    ),
    SupplierProfile(
        "VOLTARO", "Voltaro Elektro AG", "Lukas Brunner",
        "orders@voltaro.example", "+41 44 555 2190", "VO",
        (5, 8), 0.86, (1, 4), 0.03, 0.02, (0.03, 0.15), 0.03, 1.00,
    ),
    SupplierProfile(
        "SAFEHANDS", "SafeHands PPE Ltd", "Emma Clarke",
        "trade@safehands.example", "+44 161 555 0199", "SH",
        (4, 7), 0.74, (2, 6), 0.02, 0.02, (0.05, 0.20), 0.06, 0.97,
    ),
    SupplierProfile(
        "CHEMSOL", "ChemSol Lubricants & Polymers GmbH", "Dr. Anja Vogt",
        "orders@chemsol.example", "+49 621 555 4410", "CS",
        (5, 7), 0.88, (1, 3), 0.02, 0.03, (0.05, 0.25), 0.02, 1.00,
    ),
    SupplierProfile(
        "KESSLER", "Kessler Wälzlager KG", "Stefan Kessler",
        "auftrag@kessler-lager.example", "+49 911 555 7321", "KW",
        (7, 10), 0.58, (2, 9), 0.02, 0.02, (0.03, 0.15), 0.04, 1.00,
    ),
    SupplierProfile(
        "ALPENHYD", "Alpen Hydraulik GmbH", "Martina Huber",
        "verkauf@alpenhydraulik.example", "+43 512 555 908", "AH",
        (6, 9), 0.82, (1, 4), 0.02, 0.14, (0.05, 0.35), 0.03, 1.00,
    ),
    SupplierProfile(
        "BRANDT", "Metallwerk Brandt GmbH", "Frank Brandt",
        "bestellung@brandt-metall.example", "+49 231 555 6050", "MB",
        (10, 14), 0.52, (2, 12), 0.00, 0.18, (0.05, 0.40), 0.08, 0.92,
    ),
    SupplierProfile(
        "PRECAST", "Precision Castings Polska S.A.", "Piotr Zielinski",
        "export@precast.example", "+48 32 555 7766", "PC",
        (21, 28), 0.70, (3, 10), 0.00, 0.06, (0.03, 0.20), 0.05, 1.00,
    ),
    SupplierProfile(
        "FAREAST", "Far East Motion & Electronics Co., Ltd.", "Kevin Lin",
        "oem@fareast-motion.example", "+886 2 5550 3321", "FE",
        (35, 42), 0.64, (3, 14), 0.00, 0.03, (0.02, 0.12), 0.04, 1.00,
    ),
)  # fmt: skip

GENERIC_REJECTION_REASONS = (
    "Damaged in transit",
    "Wrong part delivered",
    "Label does not match contents",
)

CATEGORIES: tuple[Category, ...] = (
    Category(
        "FAS", "Fasteners", 0.22, ("NORDFAST", "QUICKPARTS", "BRANDT"), 0.6,
        400_000, (0.75, 0.05, 0.20),
        ("Thread gauge no-go failed", "Plain finish instead of zinc plated",
         "Mixed lengths in the box"),
    ),
    Category(
        "ELE", "Electrical", 0.13, ("VOLTARO", "QUICKPARTS", "RHEININD"), 0.2,
        60_000, (0.55, 0.10, 0.35),
        ("Insulation damaged", "Wrong rated current", "Missing CE marking"),
    ),
    Category(
        "HYD", "Hydraulics & pneumatics", 0.12, ("ALPENHYD", "RHEININD", "QUICKPARTS"),
        0.0, 60_000, (0.45, 0.05, 0.50),
        ("Damaged sealing surface", "Pressure test failed", "Wrong thread type"),
    ),
    Category(
        "BRG", "Bearings & drives", 0.08, ("KESSLER", "RHEININD", "FAREAST"), 0.0,
        20_000, (0.40, 0.05, 0.55),
        ("Corrosion on raceway", "Noise test failed", "Wrong seal type"),
    ),
    Category(
        "CHM", "Chemicals & plastics", 0.08, ("CHEMSOL", "QUICKPARTS", "RHEININD"),
        1.0, 300_000, (0.55, 0.30, 0.15),
        ("Missing certificate of analysis", "Remaining shelf life below 6 months",
         "Leaking container"),
    ),
    Category(
        "PKG", "Packaging", 0.05, ("BALTICPACK", "QUICKPARTS"), 0.8, 150_000,
        (0.65, 0.30, 0.05),
        ("Wrong board grade", "Boxes crushed on pallet", "Print misaligned"),
    ),
    Category(
        "MEC", "Machined & cast parts", 0.09, ("BRANDT", "PRECAST", "RHEININD"), 0.7,
        30_000, (0.80, 0.10, 0.10),
        ("Porosity in casting", "Dimensions out of tolerance", "Burrs not removed",
         "Weld seam defect"),
    ),
    Category(
        "PCB", "Electronics", 0.07, ("FAREAST", "VOLTARO", "QUICKPARTS"), 0.6,
        30_000, (0.75, 0.05, 0.20),
        ("Failed functional test", "ESD packaging damaged",
         "Wrong firmware revision"),
    ),
    Category(
        "TLS", "Tools & abrasives", 0.09, ("RHEININD", "QUICKPARTS", "NORDFAST"), 0.5,
        60_000, (0.70, 0.05, 0.25),
        ("Wrong grit", "Chipped cutting edge", "Wrong coating"),
    ),
    Category(
        "PPE", "Safety equipment", 0.04, ("SAFEHANDS", "QUICKPARTS", "RHEININD"),
        0.4, 30_000, (0.45, 0.45, 0.10),
        ("Wrong size delivered", "Missing EN certification", "Torn packaging"),
    ),
    Category(
        "FAC", "Facility supplies", 0.03, ("QUICKPARTS", "BALTICPACK", "RHEININD"),
        0.2, 20_000, (0.55, 0.40, 0.05),
        ("Damaged packaging", "Wrong variant delivered"),
    ),
)  # fmt: skip


def _fasteners() -> list[Template]:
    out: list[Template] = []
    sizes = {5: 0.028, 6: 0.041, 8: 0.075, 10: 0.13, 12: 0.21, 16: 0.46}
    lengths = (12, 16, 20, 25, 30, 35, 40, 50, 60, 70, 80, 100, 120)

    def pack(cost: float) -> tuple[int, int]:
        if cost < 0.15:
            return 100, 5
        if cost < 0.6:
            return 100, 2
        return 50, 1

    for d, base in sizes.items():
        for length in lengths:
            if not 2 * d <= length <= 8 * d:
                continue
            scale = (length / (4 * d)) ** 0.6
            cost = base * scale
            out.append(
                Template(f"Hex bolt M{d}×{length} 8.8 zinc", "ea", cost, *pack(cost))
            )
            cost = base * scale * 1.45
            out.append(
                Template(
                    f"Socket head cap screw M{d}×{length} 12.9", "ea", cost, *pack(cost)
                )
            )
            if d <= 10:
                cost = base * scale * 1.1
                out.append(
                    Template(
                        f"Countersunk screw M{d}×{length} A2", "ea", cost, *pack(cost)
                    )
                )
        out.append(Template(f"Hex nut M{d} 8 zinc", "ea", base * 0.3, 100, 5))
        out.append(Template(f"Nyloc nut M{d} A2", "ea", base * 0.6, 100, 2))
        out.append(Template(f"Flat washer M{d} DIN 125", "ea", base * 0.12, 100, 10))
        out.append(Template(f"Spring washer M{d}", "ea", base * 0.15, 100, 5))
        out.append(Template(f"Threaded rod M{d}×1000 zinc", "ea", base * 22, 10, 1))
    for diameter, cost in ((3.2, 0.021), (4.0, 0.028), (4.8, 0.037)):
        for length in (8, 10, 12, 16):
            out.append(
                Template(
                    f"Blind rivet {diameter}×{length} alu/steel", "ea",
                    cost * (length / 10) ** 0.4, 100, 10,
                )
            )  # fmt: skip
    return out


def _electrical() -> list[Template]:
    out = [
        Template("Cable H07RN-F 3G1.5", "m", 1.9, 100),
        Template("Cable H07RN-F 3G2.5", "m", 2.8, 100),
        Template("Cable H07RN-F 5G1.5", "m", 2.9, 100),
        Template("Cable H07RN-F 5G2.5", "m", 4.1, 100),
        Template("Control cable LiYY 7×0.5", "m", 1.25, 100),
        Template("Control cable LiYCY 4×0.75 shielded", "m", 1.85, 100),
        Template("Cable tie 200×4.8 black (100 pcs)", "box", 3.9, 10),
        Template("Cable tie 300×4.8 black (100 pcs)", "box", 5.6, 10),
        Template("Relay 24 V DC 2CO with socket", "ea", 8.4, 10),
        Template("Terminal block 2.5 mm² grey", "ea", 0.65, 50),
        Template("Terminal block 2.5 mm² blue", "ea", 0.68, 50),
        Template("Terminal block PE 2.5 mm²", "ea", 1.7, 50),
        Template("Proximity sensor M12 PNP NO", "ea", 29.0),
        Template("Proximity sensor M12 PNP NC", "ea", 29.5),
        Template("Proximity sensor M18 PNP NO", "ea", 34.0),
        Template("Photoelectric sensor diffuse 24 V", "ea", 64.0),
        Template("Emergency stop push button 40 mm", "ea", 22.0, 10),
        Template("Safety relay 24 V 3NO", "ea", 118.0),
        Template("DIN rail 35×7.5 (2 m)", "ea", 3.4, 10),
        Template("Cable duct 40×60 grey (2 m)", "ea", 4.6, 10),
    ]
    for colour in ("blue", "black", "grey", "green-yellow"):
        out.append(Template(f"Single core H07V-K 1.5 mm² {colour}", "m", 0.22, 100))
    for size, cost in (("0.75", 5.2), ("1.0", 5.6), ("1.5", 6.1), ("2.5", 8.8)):
        out.append(Template(f"Wire end ferrule {size} mm² (500 pcs)", "box", cost, 10))
    for amps in (2, 4, 6, 10, 16, 20, 25, 32):
        out.append(Template(f"Fuse 10×38 gG {amps} A", "ea", 1.6, 10))
    for amps in (6, 10, 16, 20):
        out.append(Template(f"Miniature circuit breaker B{amps} 1P", "ea", 5.8, 12))
    for amps, cost in ((9, 38.0), (12, 44.0), (18, 61.0)):
        out.append(Template(f"Contactor 3P {amps} A 24 V DC", "ea", cost))
    for colour in ("green", "red", "yellow", "white"):
        out.append(Template(f"LED indicator 22 mm {colour} 24 V", "ea", 4.9, 10))
    for size, cost in (("M16", 0.42), ("M20", 0.51), ("M25", 0.68), ("M32", 1.05)):
        out.append(Template(f"Cable gland {size} IP68", "ea", cost, 100))
    return out


def _hydraulics() -> list[Template]:
    out = [
        Template("Solenoid valve 5/2 24 V DC G1/4", "ea", 68.0),
        Template("Solenoid valve 3/2 24 V DC G1/8", "ea", 52.0),
        Template("Pressure regulator G1/4 with gauge", "ea", 39.0),
        Template("Hydraulic filter element 10 µm", "ea", 46.0, 10),
        Template("Hydraulic filter element 25 µm", "ea", 41.0, 10),
        Template("Gear pump 8 cm³", "ea", 310.0),
        Template("Quick coupling DN7.2 male", "ea", 3.9, 10),
        Template("Quick coupling DN7.2 female", "ea", 8.9, 10),
        Template("Silencer G1/4 sintered bronze", "ea", 1.9, 10),
    ]
    for inner in (8, 10, 12, 16, 20, 25, 30, 40, 50):
        for cross in (2, 2.5, 3):
            cost = 0.04 + inner * cross * 0.0035
            out.append(Template(f"O-ring NBR 70 {inner}×{cross}", "ea", cost, 100))
    for dn, cost in ((6, 7.2), (10, 9.1), (12, 10.8), (16, 14.9)):
        out.append(Template(f"Hydraulic hose 2SN DN{dn}", "m", cost, 10))
    for size, cost in (("12L", 4.5), ("15L", 5.4), ("18L", 6.9)):
        out.append(Template(f"Hose fitting DKOL {size}", "ea", cost, 10))
    for mm, cost in ((4, 0.48), (6, 0.62), (8, 0.9), (10, 1.2), (12, 1.6)):
        out.append(Template(f"PU tube {mm} mm blue", "m", cost, 50))
        out.append(
            Template(f"Push-in fitting straight {mm} mm", "ea", 1.2 + mm * 0.12, 10)
        )
        out.append(Template(f"Push-in elbow {mm} mm", "ea", 1.6 + mm * 0.15, 10))
    for bore in (32, 40, 50, 63):
        for stroke in (50, 100, 160):
            cost = 48 + bore * 0.9 + stroke * 0.15
            out.append(Template(f"Pneumatic cylinder Ø{bore}×{stroke}", "ea", cost))
    return out


def _bearings() -> list[Template]:
    out: list[Template] = []
    for number in range(0, 11):
        cost = 2.1 * 1.32**number
        out.append(
            Template(f"Deep groove ball bearing 62{number:02d}-2RS", "ea", cost, 10)
        )
    for number in range(0, 9):
        cost = 3.4 * 1.35**number
        out.append(
            Template(f"Deep groove ball bearing 63{number:02d}-2Z", "ea", cost, 10)
        )
    for length, cost in ((600, 14.0), (800, 17.5), (1000, 21.9)):
        out.append(Template(f"Timing belt HTD {length}-5M-15", "ea", cost))
    for length, cost in ((1000, 6.5), (1250, 7.2), (1500, 8.1), (1800, 9.2)):
        out.append(Template(f"V-belt SPZ {length}", "ea", cost, 10))
    for teeth, cost in ((15, 14.0), (19, 17.5), (25, 23.9)):
        out.append(Template(f"Sprocket 08B-1 z{teeth}", "ea", cost))
    for length, cost in ((1000, 85.0), (1500, 119.0)):
        out.append(Template(f"Linear rail 20 mm L{length}", "ea", cost))
    for length, cost in ((500, 162.0), (800, 208.0)):
        out.append(Template(f"Ball screw 16×5 L{length}", "ea", cost))
    out += [
        Template("Linear carriage 20 mm flanged", "ea", 96.0),
        Template("Roller chain 08B-1 (5 m)", "ea", 48.0),
        Template("Planetary gearbox i=10", "ea", 420.0, sole_source="FAREAST"),
        Template("Servo motor 400 W 3000 rpm", "ea", 640.0, sole_source="FAREAST"),
        Template("Servo motor 750 W 3000 rpm", "ea", 820.0, sole_source="FAREAST"),
        Template("Shaft coupling Ø14 jaw type", "ea", 26.0),
        Template("Shaft coupling Ø19 jaw type", "ea", 31.0),
        Template("Pillow block bearing UCP205", "ea", 11.8, 10),
        Template("Pillow block bearing UCP206", "ea", 14.2, 10),
    ]
    return out


def _chemicals() -> list[Template]:
    return [
        Template("Threadlocker medium strength 50 ml", "ea", 14.5, 10, 1, 730),
        Template("Threadlocker high strength 50 ml", "ea", 15.9, 10, 1, 730),
        Template("Retaining compound 50 ml", "ea", 19.8, 10, 1, 730),
        Template("Epoxy adhesive 2K 50 ml", "ea", 11.4, 12, 1, 365),
        Template("Cyanoacrylate adhesive 20 g", "ea", 7.8, 12, 1, 365),
        Template("Silicone sealant transparent 310 ml", "ea", 5.9, 12, 1, 365),
        Template("Cutting fluid concentrate", "l", 6.2, 25, 1, 730),
        Template("Hydraulic oil HLP 46", "l", 3.1, 25, 4, 1825),
        Template("Gear oil CLP 220", "l", 4.6, 25, 1, 1825),
        Template("Multipurpose grease EP2", "kg", 8.9, 25, 1, 1095),
        Template("Grease cartridge EP2 400 g", "ea", 4.2, 12, 1, 1095),
        Template("Degreaser spray 400 ml", "ea", 4.9, 12, 1, 1095),
        Template("Contact cleaner spray 400 ml", "ea", 6.8, 12, 1, 1095),
        Template("Isopropyl alcohol 99.9%", "l", 4.4, 10, 1, 730),
        Template("Solder paste SAC305 500 g", "ea", 89.0, 1, 1, 180),
        Template("Solder wire Sn99.3 1 mm 500 g", "ea", 52.0, 10, 1),
        Template("Primer grey RAL 7035", "l", 13.8, 10, 1, 540),
        Template("Powder coating RAL 9005", "kg", 9.5, 25, 1, 365),
        Template("Powder coating RAL 7035", "kg", 9.2, 25, 1, 365),
        Template("Welding wire G3Si1 1.0 mm", "kg", 2.9, 25, 2),
        Template("Plastic granulate PP natural", "kg", 1.45, 25, 20),
        Template("Plastic granulate ABS black", "kg", 2.35, 25, 20),
        Template("Plastic granulate PA6 GF30", "kg", 3.6, 25, 20),
        Template("Masterbatch black", "kg", 5.8, 25, 1, 730),
        Template("Release agent spray 400 ml", "ea", 7.4, 12, 1, 730),
        Template("Anti-spatter spray 400 ml", "ea", 5.1, 12, 1, 1095),
    ]


def _packaging() -> list[Template]:
    out = [
        Template("Stretch film 500 mm 23 µm", "ea", 8.9, 12),
        Template("Packing tape PP brown 50 mm × 66 m", "ea", 1.35, 12, 3),
        Template("Packing tape PP clear 50 mm × 66 m", "ea", 1.35, 12, 3),
        Template("EUR pallet 1200×800", "ea", 12.5, 10),
        Template("Bubble wrap 1000 mm", "m", 0.38, 100),
        Template("Shipping label 100×150 thermal (500 pcs)", "ea", 5.8, 12),
        Template("Edge protector 50×50×1000", "ea", 0.32, 100),
        Template("ESD bag 150×200 (100 pcs)", "box", 11.0, 10),
        Template("Strapping band PP 12 mm coil", "ea", 24.0, 10),
        Template("PE bag 300×400 (1000 pcs)", "box", 38.0),
        Template("Kraft paper roll 750 mm", "ea", 29.0),
        Template("Foam insert FI-200", "ea", 1.9, 25),
    ]
    for size, cost in (
        ("300×200×150", 0.55), ("400×300×200", 0.88), ("500×400×300", 1.25),
        ("600×400×300", 1.45), ("600×400×400", 1.62), ("800×600×400", 2.9),
    ):  # fmt: skip
        out.append(Template(f"Cardboard box {size} double wall", "ea", cost, 25, 10))
    return out


def _mechanical() -> list[Template]:
    out: list[Template] = []
    for thickness, cost in (("1.5", 38.0), ("2", 49.0), ("3", 72.0)):
        out.append(
            Template(f"Steel sheet DC01 {thickness} mm 1000×2000", "ea", cost, 10)
        )
    for diameter, cost in ((20, 6.1), (30, 11.4), (40, 19.8), (50, 28.5)):
        out.append(Template(f"Aluminium bar 6082 Ø{diameter}", "m", cost, 12))
    out.append(Template("Steel tube 40×40×3 S235", "m", 7.9, 12))
    out.append(Template("Steel tube 60×40×3 S235", "m", 9.6, 12))
    for size, cost in ((120, 118.0), (160, 149.0), (200, 196.0), (250, 265.0)):
        out.append(
            Template(f"Cast housing GH-{size}", "ea", cost, sole_source="PRECAST")
        )
    for size, cost in ((120, 42.0), (160, 58.0), (200, 88.0)):
        out.append(Template(f"Cast cover GC-{size}", "ea", cost, sole_source="PRECAST"))
    for size, cost in ((80, 145.0), (100, 189.0)):
        out.append(
            Template(
                f"Pump impeller casting PI-{size}", "ea", cost, sole_source="PRECAST"
            )
        )
    for diameter in (20, 25, 30):
        for length in (250, 400):
            cost = 18 + diameter * 0.8 + length * 0.05
            out.append(Template(f"Machined shaft Ø{diameter}×{length}", "ea", cost))
    for number in range(101, 113):
        out.append(
            Template(
                f"Laser-cut bracket LB-{number}", "ea", 2.8 + (number % 7) * 1.1, 25
            )
        )
    for number, cost in ((1, 340.0), (2, 415.0), (3, 520.0)):
        out.append(Template(f"Welded frame WF-{number}", "ea", cost))
    for diameter, cost in ((20, 4.8), (25, 6.2), (30, 8.0)):
        out.append(Template(f"Bronze bushing Ø{diameter}", "ea", cost, 10))
    return out


def _electronics() -> list[Template]:
    out: list[Template] = []
    for model, cost in ((200, 145.0), (300, 228.0), (400, 318.0)):
        for revision in ("C", "D"):
            out.append(
                Template(
                    f"Controller board CB-{model} rev {revision}", "ea", cost,
                    sole_source="FAREAST",
                )
            )  # fmt: skip
    for channels, cost in ((16, 86.0), (32, 121.0)):
        out.append(
            Template(
                f"I/O expansion board IO-{channels}", "ea", cost, sole_source="FAREAST"
            )
        )
    for amps, cost in (("2.5", 32.0), ("5", 48.0), ("10", 95.0)):
        out.append(Template(f"Power supply 24 V {amps} A DIN rail", "ea", cost))
    for inches, cost in ((7, 480.0), (10, 690.0)):
        out.append(
            Template(f"HMI touch panel {inches} in", "ea", cost, sole_source="FAREAST")
        )
    for kw, cost in (("0.75", 290.0), ("1.5", 365.0), ("3.0", 520.0)):
        out.append(Template(f"Frequency inverter {kw} kW", "ea", cost))
    for number in range(10, 15):
        out.append(
            Template(f"Wiring harness WH-{number}", "ea", 24.0 + (number - 10) * 8.5)
        )
    out += [
        Template("Incremental encoder 1024 ppr", "ea", 118.0),
        Template("Stepper motor NEMA 23 1.9 Nm", "ea", 46.0),
        Template("Display module 4.3 in", "ea", 38.0, sole_source="FAREAST"),
        Template("Electrolytic capacitor 100 µF 63 V", "ea", 0.11, 100, 10),
        Template("Electrolytic capacitor 470 µF 35 V", "ea", 0.16, 100, 10),
        Template("Connector M12 4-pin female straight", "ea", 6.9, 10),
        Template("Connector M12 4-pin male angled", "ea", 7.4, 10),
        Template("USB-C cable 1 m", "ea", 3.1, 25),
        Template("Lithium coin cell CR2032", "ea", 0.38, 100, 5, 1825),
    ]
    return out


def _tools() -> list[Template]:
    out = [
        Template("Cutting disc 125×1.0 inox", "ea", 1.15, 25, 4),
        Template("Cutting disc 230×1.9 steel", "ea", 2.4, 25, 2),
        Template("Carbide insert CNMG 120408", "ea", 8.9, 10, 5),
        Template("Carbide insert WNMG 080408", "ea", 9.6, 10, 5),
        Template("Carbide insert DCMT 11T304", "ea", 7.4, 10, 5),
        Template("Carbide insert APKT 1604", "ea", 6.8, 10, 5),
        Template("Bandsaw blade bimetal 2750×27", "ea", 42.0),
        Template("Grinding wheel 200×25 A60", "ea", 24.0),
        Template("Welding contact tip M6 1.0 mm", "ea", 0.65, 25, 4),
        Template("Gas nozzle MB25 conical", "ea", 4.2, 10),
        Template("Wire brush cup 75 mm", "ea", 6.4, 10),
    ]
    for grit in (40, 60, 80, 120):
        out.append(Template(f"Flap disc 125 mm P{grit}", "ea", 2.7, 10, 2))
    for grit in (80, 120, 180, 240):
        out.append(Template(f"Sanding sheet P{grit} 230×280", "ea", 0.55, 50, 2))
    for mm in (3, 4, 5, 6, 8, 10, 12):
        out.append(Template(f"HSS-Co drill bit {mm} mm", "ea", 1.2 + mm * 0.65, 10))
    for mm, cost in ((6, 29.0), (8, 36.0), (10, 45.0), (12, 58.0)):
        out.append(Template(f"Solid carbide end mill Ø{mm}", "ea", cost))
    for size, cost in (
        ("M5", 9.0),
        ("M6", 10.5),
        ("M8", 12.9),
        ("M10", 15.8),
        ("M12", 19.2),
    ):
        out.append(Template(f"Machine tap {size}", "ea", cost, 10))
    return out


def _safety() -> list[Template]:
    out: list[Template] = []
    for size in ("S", "M", "L", "XL"):
        out.append(
            Template(f"Nitrile gloves {size} (100 pcs)", "box", 6.9, 10, 1, 1825)
        )
    for size in (7, 8, 9, 10):
        out.append(Template(f"Cut-resistant gloves level C size {size}", "ea", 6.5, 12))
    for size in ("L", "XL", "XXL"):
        out.append(Template(f"Hi-vis vest {size}", "ea", 3.5, 10))
        out.append(Template(f"Disposable coverall {size}", "ea", 4.8, 25))
    for size in range(39, 47):
        out.append(Template(f"Safety shoes S3 size {size}", "ea", 68.0))
    out += [
        Template("Safety glasses clear", "ea", 3.8, 10),
        Template("Safety glasses tinted", "ea", 4.2, 10),
        Template("Foam ear plugs (200 pairs)", "box", 24.0, 10),
        Template("FFP2 respirator (20 pcs)", "box", 18.0, 10, 1, 1095),
        Template("Safety helmet white", "ea", 11.0, 10),
        Template("Welding gloves", "ea", 7.0, 12),
        Template("Face shield clear", "ea", 9.0, 10),
        Template("First aid kit refill DIN 13157", "ea", 29.0, 1, 1, 1825),
    ]
    return out


def _facility() -> list[Template]:
    return [
        Template("Industrial paper towel roll 2-ply", "ea", 17.5, 10),
        Template("Wiping cloth blue (500 sheets)", "ea", 29.0),
        Template("Hand cleaner paste 10 l", "ea", 34.0),
        Template("Liquid hand soap 5 l", "ea", 11.0, 10),
        Template("Absorbent pads 40×50 (100 pcs)", "box", 44.0),
        Template("Waste bags 120 l (250 pcs)", "box", 36.0),
        Template("Alkaline batteries AA (24 pcs)", "box", 14.5, 10),
        Template("Alkaline batteries AAA (24 pcs)", "box", 14.5, 10),
        Template("Permanent marker black", "ea", 1.2, 12),
        Template("Floor marking tape yellow 50 mm", "ea", 7.8, 12),
        Template("LED tube T8 1500 mm", "ea", 9.5, 10),
        Template("Coffee beans", "kg", 14.0, 10, 1, 365),
    ]


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "FAS": tuple(_fasteners()),
    "ELE": tuple(_electrical()),
    "HYD": tuple(_hydraulics()),
    "BRG": tuple(_bearings()),
    "CHM": tuple(_chemicals()),
    "PKG": tuple(_packaging()),
    "MEC": tuple(_mechanical()),
    "PCB": tuple(_electronics()),
    "TLS": tuple(_tools()),
    "PPE": tuple(_safety()),
    "FAC": tuple(_facility()),
}
