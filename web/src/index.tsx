import { render } from "solid-js/web";
import { App } from "./App";
import "./styles.css";
import "./pages.css";
import "./server.css";
import "./responsive.css";

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");
render(() => <App />, root);
