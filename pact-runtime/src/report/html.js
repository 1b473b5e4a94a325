// Filters by outcome and consumer; the page reads the same without them.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  form.hidden = false;
  var items = document.querySelectorAll("details.i");
  var pacts = document.querySelectorAll("section.pact");
  var shown = document.getElementById("shown");
  function apply() {
    var outcomes = {};
    form.querySelectorAll("input[name=outcome]").forEach(function (box) { outcomes[box.value] = box.checked; });
    var select = form.querySelector("select[name=consumer]");
    var consumer = select ? select.value : "";
    var count = 0;
    pacts.forEach(function (pact) {
      var any = false;
      var wanted = consumer === "" || pact.dataset.consumer === consumer;
      pact.querySelectorAll("details.i").forEach(function (item) {
        var show = wanted && outcomes[item.dataset.outcome];
        item.hidden = !show;
        if (show) { any = true; count++; }
      });
      pact.hidden = !any;
    });
    shown.textContent = count + " of " + items.length + " interactions shown";
  }
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") { target.hidden = false; target.parentElement.hidden = false; target.open = true; }
  }
  form.addEventListener("change", apply);
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
