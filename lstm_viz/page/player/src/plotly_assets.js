// Installed once per page where the gradient view's knobs draw their charts (knobs.js): Plotly's cartesian
// bundle, from the locked npm package, as window.Plotly. Its message never changes, so Streamlit sends it once.
// (Plotly's bundle may set window.Plotly itself as it loads: the event is what says it is ready.)
import Plotly from "plotly.js-cartesian-dist-min";

export default function () {
  if (!window.lstmVizPlotly) {
    window.lstmVizPlotly = true;
    window.Plotly = window.Plotly || Plotly;
    window.dispatchEvent(new Event("lstm-viz-plotly"));
  }
}
