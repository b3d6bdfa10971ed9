"""Small statistics shared by the planning, the backtest and supplier scoring."""

import math


def std_from_moments(mean: float, mean_of_squares: float, *, n: int = 0) -> float:
    """σ of values from their mean and the mean of their squares (what running
    sums give: ``Σx / n`` and ``Σx² / n``): √(E[x²] − x̄²), the population
    standard deviation, with a negative variance from rounding taken as 0.

    ``n`` (the number of values) asks for the *sample* standard deviation
    instead: the variance × n / (n − 1), and 0 for a single value."""
    variance = max(mean_of_squares - mean * mean, 0.0)
    if n:
        variance = variance * (n / (n - 1)) if n > 1 else 0.0
    return math.sqrt(variance)
