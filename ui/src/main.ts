import "./styles.css";
import { mount } from "svelte";
import App from "./App.svelte";

performance.mark("keyward:script");
const app = mount(App, { target: document.getElementById("app")! });
export default app;
