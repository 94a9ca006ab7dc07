import { render } from "preact";
import "./style.css";
import { App } from "./app";
import { initialLanguage, setLanguage } from "./i18n";

setLanguage(initialLanguage(), false);
render(<App />, document.getElementById("app")!);
