// Points of a sparkline polyline: values scaled into a width×height box (y grows downwards), 1 px margin
// top and bottom so a flat line at the maximum stays visible. Negative values count as 0.
export function sparkPoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (Math.max(0, v) / max) * (height - 2)).toFixed(1)}`)
    .join(" ");
}
