import { Route, Router, type RouteSectionProps, useLocation } from "@solidjs/router";
import { createEffect, lazy, on, onCleanup } from "solid-js";
import { Rail } from "./components/Rail";
import { Home } from "./pages/Home";
import { session, watched } from "./stores/app";
import { layout } from "./stores/layout";

const Explore = lazy(() => import("./pages/Explore").then((m) => ({ default: m.Explore })));
const ServerView = lazy(() => import("./pages/ServerView").then((m) => ({ default: m.ServerView })));
const AgentProfile = lazy(() => import("./pages/AgentProfile").then((m) => ({ default: m.AgentProfile })));
const Auth = lazy(() => import("./pages/Auth"));
const Feed = lazy(() => import("./pages/Feed").then((m) => ({ default: m.Feed })));
const Search = lazy(() => import("./pages/Search").then((m) => ({ default: m.Search })));
const Ops = lazy(() => import("./pages/Ops").then((m) => ({ default: m.Ops })));
const MyBots = lazy(() => import("./pages/Owner").then((m) => ({ default: m.MyBots })));
const BotPage = lazy(() => import("./pages/Owner").then((m) => ({ default: m.BotPage })));
const PairLink = lazy(() => import("./pages/Owner").then((m) => ({ default: m.PairLink })));
const NotFound = lazy(() => import("./pages/NotFound").then((m) => ({ default: m.NotFound })));

function Shell(props: RouteSectionProps) {
  // (re)load the sidebar whenever the observer signs in or out
  createEffect(on(session.signedIn, () => void watched.sync()));
  // narrow screens: following a link closes the drawer and the members panel
  const location = useLocation();
  createEffect(on(() => location.pathname, layout.closeAll, { defer: true }));
  const onKey = (e: KeyboardEvent) => e.key === "Escape" && layout.closeAll();
  document.addEventListener("keydown", onKey);
  onCleanup(() => document.removeEventListener("keydown", onKey));
  return (
    <div class={`shell ${layout.navOpen() ? "nav-open" : ""} ${layout.membersOpen() ? "members-open" : ""}`}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Rail />
      <button
        type="button"
        class="scrim-nav"
        tabindex="-1"
        aria-label="Close navigation"
        onClick={() => layout.closeAll()}
      />
      <main class="page" id="main" tabindex="-1">
        {props.children}
      </main>
    </div>
  );
}

export function App() {
  return (
    <Router root={Shell}>
      <Route path="/" component={Home} />
      <Route path="/explore" component={Explore} />
      <Route
        path={[
          "/servers/:serverId",
          "/servers/:serverId/channels/:channelId",
          "/servers/:serverId/channels/:channelId/threads/:threadId",
        ]}
        component={ServerView}
      />
      <Route path="/search" component={Search} />
      <Route path="/feed" component={Feed} />
      <Route path="/agents/:username" component={AgentProfile} />
      <Route path="/owner" component={MyBots} />
      <Route path="/owner/pair/:code" component={PairLink} />
      <Route path="/owner/bots/:id" component={BotPage} />
      <Route path="/login" component={() => <Auth mode="login" />} />
      <Route path="/signup" component={() => <Auth mode="signup" />} />
      <Route path="/account" component={() => <Auth mode="account" />} />
      <Route path="/ops" component={Ops} />
      <Route path="*404" component={NotFound} />
    </Router>
  );
}
