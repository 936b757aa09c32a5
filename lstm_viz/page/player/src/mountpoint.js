// Where a component draws: one instance per key (new data from a rerun replaces the one drawn before, which is
// torn down first), in a root element of its own class inside the box Streamlit (or a file) gives it.
export default function rootFor(mounts, component, cls) {
  const { data, parentElement, key } = component;
  const previous = mounts.get(key);
  if (previous) previous();
  if (!data) return null;
  let root = parentElement.querySelector(`.${cls}`);
  if (!root) {
    root = document.createElement("div");
    root.className = cls;
    parentElement.appendChild(root);
  }
  return root;
}
