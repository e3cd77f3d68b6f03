// Conveniences only: every flow works without this file.
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");
  for (const input of document.querySelectorAll("input[type=file][data-read-into]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (file) document.getElementById(input.dataset.readInto).value = await file.text();
    });
  }
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
    const button = select.form.querySelector("button");
    if (button) button.classList.add("visually-hidden");
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Assessment workspace: j / k move between requirements, 1–5 pick a
  // result in the focused one, s saves it.
  const rows = [...document.querySelectorAll("li[data-answerable]")];
  let current = -1;
  const focusRow = (i) => {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("focused");
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add("focused");
    rows[current].scrollIntoView({ block: "center" });
  };
  const keys = ["compliant", "partially-compliant", "non-compliant", "not-applicable", "not-assessed"];
  document.addEventListener("keydown", (event) => {
    if (!rows.length || event.ctrlKey || event.metaKey || event.altKey) return;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName)) return;
    if (event.key === "j") focusRow(current + 1);
    else if (event.key === "k") focusRow(current - 1);
    else if (current >= 0 && event.key >= "1" && event.key <= "5") {
      rows[current].querySelector("select[data-result]").value = keys[Number(event.key) - 1];
    } else if (current >= 0 && event.key === "s") {
      rows[current].querySelector("form.answer").requestSubmit();
    } else return;
    event.preventDefault();
  });
  // Times typed in the browser's own zone: preselect its offset from UTC.
  for (const select of document.querySelectorAll("select[data-local-offset]")) {
    const east = String(-new Date().getTimezoneOffset());
    if ([...select.options].some((o) => o.value === east)) select.value = east;
  }
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    });
  }
});
