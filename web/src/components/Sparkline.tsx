// A tiny inline-SVG sparkline (no chart library: one polyline and an area scale to the box). The numbers
// are also given as text for screen readers and tests.
import { sparkPoints } from "../lib/spark";

export function Sparkline(props: { values: number[]; label: string; width?: number; height?: number }) {
  const w = () => props.width ?? 120;
  const h = () => props.height ?? 28;
  const total = () => props.values.reduce((a, b) => a + b, 0);
  return (
    <svg
      class="spark"
      role="img"
      aria-label={`${props.label}: ${total()} in the last ${props.values.length} hours`}
      viewBox={`0 0 ${w()} ${h()}`}
      width={w()}
      height={h()}
      preserveAspectRatio="none"
      data-testid="sparkline"
      data-values={props.values.join(",")}
    >
      <polyline points={sparkPoints(props.values, w(), h())} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}
