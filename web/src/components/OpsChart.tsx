// One chart.js chart (issue 24, the Ops dashboard). The chart is created once on mount and updated in
// place whenever its data changes (polling), without animation so a live dashboard does not flicker.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartData,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { createEffect, onCleanup, onMount } from "solid-js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.color = "#9aa3b5";
Chart.defaults.borderColor = "#2a3040";

export const PALETTE = ["#ff7a45", "#3ecf8e", "#5b9dff", "#f5b83d", "#f0506e", "#b57bff", "#45d4e5"];

export function OpsChart(props: {
  type: "line" | "bar";
  data: ChartData<"line" | "bar">;
  label: string;
  stacked?: boolean;
  horizontal?: boolean;
  unit?: string;
}) {
  let canvas: HTMLCanvasElement | undefined;
  let chart: Chart | undefined;
  onMount(() => {
    if (!canvas) return;
    const config = {
      type: props.type,
      data: structuredClone(props.data),
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: props.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: props.stacked ?? false, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: {
            stacked: props.stacked ?? false,
            beginAtZero: true,
            ...(props.unit ? { title: { display: true, text: props.unit } } : {}),
          },
        },
      },
    } as ChartConfiguration<"line" | "bar">;
    chart = new Chart(canvas, config);
  });
  createEffect(() => {
    const data = props.data;
    if (!chart) return;
    chart.data = structuredClone(data);
    chart.update("none");
  });
  onCleanup(() => chart?.destroy());
  return (
    <div class="ops-chart">
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}
