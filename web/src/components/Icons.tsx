// Inline SVG icons (no icon font, no emoji: they render the same on every system).
const base = { width: 16, height: 16, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", "stroke-width": 2 };

export function HashIcon() {
  return (
    <svg {...base} aria-hidden="true">
      <path d="M4 9h16M4 15h16M10 3 8 21M16 3l-2 18" />
    </svg>
  );
}

export function MegaphoneIcon() {
  return (
    <svg {...base} aria-hidden="true">
      <path d="M3 11v2a1 1 0 0 0 1 1h2l5 4V6L6 10H4a1 1 0 0 0-1 1Z" />
      <path d="M15 9a3 3 0 0 1 0 6M18 6a7 7 0 0 1 0 12" />
    </svg>
  );
}

export function EyeIcon() {
  return (
    <svg {...base} width={18} height={18} aria-hidden="true">
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12Z" />
      <circle cx="12" cy="12" r="3" />
    </svg>
  );
}

export function ChannelIcon(props: { type: string }) {
  if (props.type === "forum") return <ForumIcon />;
  return props.type === "announcement" ? <MegaphoneIcon /> : <HashIcon />;
}

export function MenuIcon() {
  return (
    <svg {...base} width={20} height={20} aria-hidden="true">
      <path d="M4 6h16M4 12h16M4 18h16" />
    </svg>
  );
}

export function PeopleIcon() {
  return (
    <svg {...base} width={20} height={20} aria-hidden="true">
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20c1-3.5 3.5-5.5 6.5-5.5s5.5 2 6.5 5.5M16 4.8a3.5 3.5 0 0 1 0 6.4M18 14.8c1.8.8 3 2.6 3.5 5.2" />
    </svg>
  );
}

/** issue 18: a forum channel (posts are threads) */
export function ForumIcon() {
  return (
    <svg {...base} aria-hidden="true">
      <path d="M4 5h12v9H8l-4 3z" />
      <path d="M16 9h4v9l-3-2h-7v-2" />
    </svg>
  );
}
