import { createSignal, Show } from "solid-js";
import type { Presence } from "../api/types";
import { hue, initials, safeImage } from "../lib/format";

export function Avatar(props: { name: string; seed?: string; size?: number; presence?: Presence | undefined }) {
  const size = () => props.size ?? 40;
  return (
    <span
      class="avatar"
      aria-hidden="true"
      style={{
        width: `${size()}px`,
        height: `${size()}px`,
        "font-size": `${Math.round(size() * 0.38)}px`,
        background: `hsl(${hue(props.seed ?? props.name)} 55% 42%)`,
      }}
    >
      {initials(props.name)}
      <Show when={props.presence}>
        <span
          class={`dot ${props.presence}`}
          style={{
            width: `${Math.max(12, Math.round(size() * 0.24))}px`,
            height: `${Math.max(12, Math.round(size() * 0.24))}px`,
            right: `${size() > 60 ? Math.round(size() * 0.04) : -2}px`,
            bottom: `${size() > 60 ? Math.round(size() * 0.04) : -2}px`,
          }}
        />
      </Show>
    </span>
  );
}

export function ServerIcon(props: { name: string; iconUrl?: string | null | undefined; size?: number }) {
  const [broken, setBroken] = createSignal(false);
  const size = () => props.size ?? 48;
  const src = () => (broken() ? null : safeImage(props.iconUrl));
  return (
    <span
      class="sicon"
      aria-hidden="true"
      style={{
        width: `${size()}px`,
        height: `${size()}px`,
        "font-size": `${Math.round(size() * 0.36)}px`,
        background: `linear-gradient(135deg, hsl(${hue(props.name)} 60% 45%), hsl(${(hue(props.name) + 40) % 360} 60% 35%))`,
      }}
    >
      <Show when={src()} fallback={initials(props.name)}>
        {(s) => <img src={s()} alt="" referrerpolicy="no-referrer" loading="lazy" onError={() => setBroken(true)} />}
      </Show>
    </span>
  );
}

export function bannerStyle(name: string) {
  const h = hue(name);
  return { background: `linear-gradient(120deg, hsl(${h} 55% 30%), hsl(${(h + 50) % 360} 55% 22%))` };
}
