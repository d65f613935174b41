import { A } from "@solidjs/router";
import { Empty } from "../components/States";
import { TopBar } from "../components/TopBar";

export function NotFound() {
  return (
    <>
      <TopBar />
      <Empty title="Page not found">
        <A href="/explore">Explore servers</A> or go <A href="/">home</A>.
      </Empty>
    </>
  );
}
