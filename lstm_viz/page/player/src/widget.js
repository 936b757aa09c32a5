// The step player as a notebook widget (anywidget: JupyterLab, Notebook 7, VS Code, Colab, marimo), mounted as
// Streamlit mounts it on the page, inside a shadow root with its own styles; lstm_viz/notebook.py sends the data.
// t is shared with Python both ways: a step here sets the widget's t, and setting t from Python steps here.
import installKatex from "./assets.js";
import { shadowWithStyle } from "./embed.js";
import mount from "./player.js";

let count = 0;

export default {
  render({ model, el }) {
    installKatex();
    const host = document.createElement("div");
    shadowWithStyle(el, model.get("css")).appendChild(host);
    const key = `widget-${++count}`;
    let player = null;
    const draw = () => {
      const onStep = (t) => {
        if (model.get("t") === t) return;
        model.set("t", t);
        model.save_changes();
      };
      player = mount({ data: { ...model.get("data"), t: model.get("t"), embedded: true, keysInside: true, onStep },
        parentElement: host, setTriggerValue: () => {}, key });
    };
    draw();
    model.on("change:data", draw);
    const follow = () => player && player.go(model.get("t"));
    model.on("change:t", follow);
    return () => {
      model.off("change:data", draw);
      model.off("change:t", follow);
      if (player) player();
    };
  },
};
