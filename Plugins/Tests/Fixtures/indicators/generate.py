#!/usr/bin/env python3
"""Reference outputs for the indicators that ../shared/data/reference/ lacks.

Run from anywhere:  python3 Plugins/Tests/Fixtures/indicators/generate.py
Needs: numpy and the `ta-lib` PyPI package (its wheel bundles the TA-Lib C
library; the committed files were made with ta-lib 0.8.2 = TA-Lib C 0.8.1,
the same C library as ../shared/data/reference/).

For each bar file of the shared reference set it writes `ref_extra_<name>.csv`
beside this script: `ts` then one column per output, floats in shortest
round-trip form (`repr`), `NaN` inside the warm-up. The Swift tests read
these CSVs, never Python.

TA-Lib calls (default compatibility mode, unstable period 0):
  DEMA(c,20) TEMA(c,20) KAMA(c,30) NATR(h,l,c,14) ADX(h,l,c,14)
  PLUS_DI(h,l,c,14) MINUS_DI(h,l,c,14) AROON(h,l,14) MFI(h,l,c,v,14)
  SAR(h,l,0.02,0.2) SMA(c,50) WMA(c,9) RSI(c,7) ATR(h,l,c,10)
Built from TA-Lib pieces (documented formulas, indicators TA-Lib lacks):
  kc_*   Keltner: middle = EMA(c,20), upper/lower = middle +/- 2*ATR(h,l,c,10)
  dc_*   Donchian: upper = MAX(h,20), lower = MIN(l,20), middle = (upper+lower)/2
Plain formulas (no TA-Lib equivalent), computed here in float64:
  kdj_*  KDJ(9,3,3): RSV = 100*(C-LL9)/(HH9-LL9) (0 when HH9 = LL9, as TA-Lib's
         fast %K); K = ((3-1)*K' + RSV)/3 and D = ((3-1)*D' + K)/3, both seeded
         with 50 before the first RSV; J = 3K - 2D; first value at index 8
  svwap  session-anchored VWAP: cumsum(tp*v)/cumsum(v) with tp = (H+L+C)/3,
         restarted at every UTC day (sessions start at 00:00 UTC)
"""
import csv
import os

import numpy as np
import talib

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "../../../../../shared/data/reference"))
SETS = {"bars_10000": "bars_10000.csv", "ford_2012": "ford_2012_bars.csv"}


def kdj(h, l, c, n=9, m1=3, m2=3):
    k_out = np.full(len(c), np.nan)
    d_out = np.full(len(c), np.nan)
    j_out = np.full(len(c), np.nan)
    k, d = 50.0, 50.0
    for i in range(n - 1, len(c)):
        hh = max(h[i - n + 1:i + 1])
        ll = min(l[i - n + 1:i + 1])
        diff = (hh - ll) / 100.0
        rsv = (c[i] - ll) / diff if diff != 0.0 else 0.0
        k = ((m1 - 1) * k + rsv) / m1
        d = ((m2 - 1) * d + k) / m2
        k_out[i], d_out[i], j_out[i] = k, d, 3.0 * k - 2.0 * d
    return k_out, d_out, j_out


def session_vwap(ts_ms, h, l, c, v):
    out = np.full(len(c), np.nan)
    day, pv, vol = None, 0.0, 0.0
    for i in range(len(c)):
        d = int(ts_ms[i]) // 86_400_000
        if d != day:
            day, pv, vol = d, 0.0, 0.0
        tp = (h[i] + l[i] + c[i]) / 3.0
        pv += tp * v[i]
        vol += v[i]
        out[i] = pv / vol if vol != 0.0 else np.nan
    return out


def main():
    for name, file in SETS.items():
        data = np.genfromtxt(os.path.join(SHARED, file), delimiter=",", names=True)
        ts, h, l, c, v = data["ts"], data["high"], data["low"], data["close"], data["volume"]
        aroon_down, aroon_up = talib.AROON(h, l, 14)
        ema20, atr10 = talib.EMA(c, 20), talib.ATR(h, l, c, 10)
        dc_upper, dc_lower = talib.MAX(h, 20), talib.MIN(l, 20)
        k, d, j = kdj(h, l, c)
        columns = {
            "dema20": talib.DEMA(c, 20),
            "tema20": talib.TEMA(c, 20),
            "kama30": talib.KAMA(c, 30),
            "natr14": talib.NATR(h, l, c, 14),
            "adx14": talib.ADX(h, l, c, 14),
            "plus_di14": talib.PLUS_DI(h, l, c, 14),
            "minus_di14": talib.MINUS_DI(h, l, c, 14),
            "aroon_down14": aroon_down,
            "aroon_up14": aroon_up,
            "mfi14": talib.MFI(h, l, c, v, 14),
            "sar": talib.SAR(h, l, 0.02, 0.2),
            "sma50": talib.SMA(c, 50),
            "wma9": talib.WMA(c, 9),
            "rsi7": talib.RSI(c, 7),
            "atr10": atr10,
            "kc_upper": ema20 + 2.0 * atr10,
            "kc_middle": ema20,
            "kc_lower": ema20 - 2.0 * atr10,
            "dc_upper": dc_upper,
            "dc_middle": (dc_upper + dc_lower) / 2.0,
            "dc_lower": dc_lower,
            "kdj_k": k,
            "kdj_d": d,
            "kdj_j": j,
            "svwap": session_vwap(ts, h, l, c, v),
        }
        path = os.path.join(HERE, f"ref_extra_{name}.csv")
        with open(path, "w", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["ts"] + list(columns))
            for i in range(len(c)):
                row = [str(int(ts[i]))]
                for values in columns.values():
                    x = float(values[i])
                    row.append("NaN" if np.isnan(x) else repr(x))
                writer.writerow(row)
        print(f"wrote {path} ({len(c)} rows, {len(columns)} columns)")


if __name__ == "__main__":
    main()
