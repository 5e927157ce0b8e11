/* How the web page writes an amount of CNY and a duration: by the catalogue's `quantities` rule
 * (advisor/locales/<lang>.yml, sent by GET /v1/catalogue), applied exactly as
 * advisor/scoring.py format_amount / format_duration apply it for the command line and the
 * reports, so that a value reads the same everywhere (3000 万元, 3 年; 30,000,000 CNY, 3 years).
 * tests/test_web_values.py runs both on the same values and requires the same strings.
 * Loaded by the page as a plain script (window.coopValues) and by node as a module.
 */
"use strict";

(function (root) {
  // `number` with at most `places` decimals, a half rounded up (toFixed rounds the exact value of
  // the double, as Python's Decimal(number) with ROUND_HALF_UP does), trailing zeros dropped and
  // `thousands` between groups of three digits.
  function number(value, places, thousands) {
    var parts = Number(value).toFixed(places).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
    var decimals = (parts[1] || "").replace(/0+$/, "");
    return decimals ? whole + "." + decimals : whole;
  }

  // An amount in the first unit it reaches ([size, wording, decimals], largest first).
  function amount(rule, value) {
    for (var i = 0; i < rule.amounts.length; i++) {
      var unit = rule.amounts[i];
      if (value >= unit[0]) return unit[1].replace("{n}", number(unit[0] ? value / unit[0] : value, unit[2], rule.thousands));
    }
    return number(value, 2, rule.thousands);
  }

  // Whole years in years, any other duration in months ([one, more] each).
  function duration(rule, months) {
    var whole = months % 12 === 0;
    var count = whole ? months / 12 : months;
    var forms = whole ? rule.years : rule.months;
    return forms[count === 1 ? 0 : 1].replace("{n}", String(count));
  }

  var values = { amount: amount, duration: duration };
  if (typeof module === "object" && module.exports) module.exports = values;
  else root.coopValues = values;
})(this);
