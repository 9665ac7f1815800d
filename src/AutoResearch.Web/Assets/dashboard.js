// autoresearch dashboard: live updates without a reload. The server renders every page; when its event stream
// says the data changed, this re-fetches the page's <main> (server-rendered and escaped) and swaps it in.
(() => {
  "use strict";
  const body = document.body;
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  let version = body.dataset.version;
  let busy = false, again = false;

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const url = new URL(window.location.href);
      url.searchParams.set("fragment", "1");
      const response = await fetch(url, { cache: "no-store" });
      if (response.ok) {
        const seen = new Set(Array.from(main.querySelectorAll("tr[data-id]"), row => row.dataset.id));
        main.innerHTML = await response.text();
        for (const row of main.querySelectorAll("tr[data-id]")) {
          if (seen.size > 0 && !seen.has(row.dataset.id)) row.classList.add("fresh");
        }
      }
    } catch (e) {
      live.textContent = "○ update failed";
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  if (window.EventSource) {
    const source = new EventSource(body.dataset.events + "?since=" + encodeURIComponent(version));
    source.onopen = () => { live.textContent = "● live"; live.classList.add("on"); };
    source.onerror = () => { live.textContent = "○ reconnecting"; live.classList.remove("on"); };
    source.addEventListener("change", event => {
      if (event.data === version) return;
      version = event.data;
      refresh();
    });
  }

  // An experiment that is still running writes its log without touching the ledger: refresh its page now and then.
  if (body.dataset.poll === "true") setInterval(refresh, 3000);
})();
