/* coop-advisor web questionnaire.
 *
 * Asks the questions in the adaptive order of `advisor ask` (the service decides: POST
 * /v1/interview/next), charts the modes' scores after every answer, and ends with the full advice
 * (POST /v1/advise?what_if=true) that can be printed or downloaded. Plain DOM, no libraries, no
 * network but this service; every text from the service is inserted as text, never as HTML.
 */
"use strict";

(function () {
  // The page's words, by language, from GET /v1/catalogue (advisor/locales/<lang>.yml): the same
  // catalogues as the command line, so the page keeps no word tables of its own.
  var TEXT = {};
  var STORE = "coop-advisor-session";
  var state = {
    lang: "en",
    questions: {},   // attribute -> question record (GET /v1/questions)
    answers: {},     // attribute -> profile value
    skipped: [],     // attributes answered "don't know"
    history: [],     // attributes replied to, oldest first (for Back)
    askAll: false,   // "Answer more questions": ask every applicable question
    forced: null,    // {attribute, preset}: a question the user chose to (re)answer, asked before the adaptive one
    view: "ask",
    step: null,
    question: null,
    advice: null,
    busy: false,
    lastAction: null
  };

  function $(id) { return document.getElementById(id); }

  function t(key, vars) {
    var words = TEXT[state.lang] ? TEXT[state.lang].web : {};
    var text = words[key];
    if (text === undefined) text = key;
    if (typeof text === "string" && vars) {
      text = text.replace(/\{(\w+)\}/g, function (_, name) { return vars[name] === undefined ? "" : String(vars[name]); });
    }
    return text;
  }

  // A safe element builder: el("p", {class: "x"}, "text", child, ...). Strings become text nodes.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = value;
        else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function text(pair) { return pair ? (state.lang === "zh" ? pair.zh : pair.en) : ""; }

  // A reason's message in the page's language (the API keeps every language under `messages`).
  function reasonMessage(reason) { return (reason.messages && reason.messages[state.lang]) || reason.message; }
  function reasonLang(reason) { return reason.messages && reason.messages[state.lang] ? state.lang : "en"; }
  function modeName(mode) { return state.lang === "zh" ? mode.name_zh : mode.name; }

  // -- talking to the service -------------------------------------------------------------

  function request(method, path, body) {
    var init = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      var kind = response.headers.get("content-type") || "";
      var read = kind.indexOf("application/json") === 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.message) || response.status + " " + response.statusText);
          error.body = data;
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function setBusy(busy) {
    state.busy = busy;
    document.body.classList.toggle("busy", busy);
    ["next", "skip", "back", "finish"].forEach(function (id) { $(id).disabled = busy; });
    if (busy) $("summary").textContent = t("working");
  }

  function showStatus(message, retry) {
    var box = clear($("status"));
    box.hidden = !message;
    if (!message) return;
    box.appendChild(el("span", null, message));
    if (retry) box.appendChild(el("button", { type: "button", onclick: function () { showStatus(null); retry(); } }, t("retry")));
  }

  function failed(error, retry) {
    setBusy(false);
    if (error && error.status === 422 && error.body && error.body.problems) {
      showError(error.body.problems.map(function (p) { return p.field + ": " + p.message; }).join("; "));
      return;
    }
    showStatus(t("unreachable", { detail: error && error.message ? error.message : String(error) }), retry);
  }

  // -- session --------------------------------------------------------------------------

  function save() {
    try {
      sessionStorage.setItem(STORE, JSON.stringify({
        answers: state.answers, skipped: state.skipped, history: state.history, askAll: state.askAll, view: state.view
      }));
    } catch (e) { /* private mode: the session is simply not kept */ }
  }

  function restore() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (saved && typeof saved.answers === "object") {
        state.answers = saved.answers || {};
        state.skipped = saved.skipped || [];
        state.history = saved.history || [];
        state.askAll = !!saved.askAll;
        state.view = saved.view === "result" ? "result" : "ask";
      }
    } catch (e) { /* a broken saved session: start afresh */ }
  }

  function profile() {
    var out = {};
    Object.keys(state.questions).forEach(function (name) {
      if (Object.prototype.hasOwnProperty.call(state.answers, name)) out[name] = state.answers[name];
    });
    return out;
  }

  // -- the questionnaire ----------------------------------------------------------------

  function interviewStep() {
    return request("POST", "/v1/interview/next", { answers: profile(), skipped: state.skipped, ask_all: state.askAll, lang: state.lang });
  }

  // Ask the service what comes next; show that question, or the advice when the questionnaire is done.
  function advance() {
    setBusy(true);
    showError(null);
    return interviewStep().then(function (step) {
      setBusy(false);
      state.step = step;
      drawChart(step.modes, step.summary);
      if (state.forced) {
        var forced = state.forced;
        state.forced = null;
        return showQuestion(state.questions[forced.attribute], step, forced.preset);
      }
      if (step.done) return showResult();
      showQuestion(step.question, step);
    }).catch(function (error) { failed(error, advance); });
  }

  function showView(view) {
    state.view = view;
    $("ask").hidden = view !== "ask";
    $("result").hidden = view !== "result";
    save();
  }

  // Show one question; `preset` (else the recorded answer) is selected or typed in already.
  function showQuestion(question, step, preset) {
    state.question = question;
    $("question-form").dataset.attribute = question.attribute;
    showView("ask");
    var answered = Object.keys(state.answers).length;
    $("progress").textContent = t("progress", { n: state.history.length + 1, answered: answered, skipped: state.skipped.length });
    $("q-text").textContent = text(question.text);
    $("q-help").textContent = text(question.help);
    $("q-reason").textContent = step && step.question && step.question.attribute === question.attribute ? t("whyAsked", { reason: step.reason }) : "";
    $("back").disabled = state.history.length === 0;
    var box = clear($("q-input"));
    var previous = preset !== undefined ? preset : state.answers[question.attribute];
    var first = null;
    var chosen = null;
    if (question.kind === "integer" || question.kind === "number") {
      var id = "answer-" + question.attribute;
      var input = el("input", {
        id: id, name: "answer", type: "text", autocomplete: "off",
        placeholder: question.example ? text(question.example) : "", "aria-describedby": "q-help"
      });
      if (previous !== undefined) input.value = String(previous);
      box.appendChild(el("label", { class: "text-answer", for: id }, el("span", { class: "example" }, question.example ? text(question.example) : ""), input));
      first = input;
    } else {
      var multiple = question.kind === "list";
      var choices = question.choices.slice();
      if (multiple) choices.push({ value: "__none__", label: { en: t("noneOfThese"), zh: t("noneOfThese") }, meaning: null });
      choices.forEach(function (choice, index) {
        var key = index < 9 ? String(index + 1) : index === 9 ? "0" : "";
        var selected = multiple
          ? (choice.value === "__none__" ? Array.isArray(previous) && previous.length === 0 : Array.isArray(previous) && previous.indexOf(choice.value) >= 0)
          : previous === choice.value;
        var input = el("input", {
          type: multiple ? "checkbox" : "radio", name: "answer", value: JSON.stringify(choice.value),
          "data-key": key, checked: selected
        });
        if (multiple) input.addEventListener("change", function () { exclusiveNone(input); });
        var label = el("label", { class: "choice" },
          input,
          key ? el("kbd", { "aria-hidden": "true" }, key) : null,
          el("span", { class: "label" }, text(choice.label)),
          choice.meaning ? el("span", { class: "meaning" }, text(choice.meaning)) : null);
        box.appendChild(label);
        first = first || input;
        if (selected && !chosen) chosen = input;
      });
    }
    if (chosen || first) (chosen || first).focus();
  }

  function exclusiveNone(changed) {
    var inputs = $("q-input").querySelectorAll("input[type=checkbox]");
    var isNone = changed.value === JSON.stringify("__none__");
    if (!changed.checked) return;
    Array.prototype.forEach.call(inputs, function (input) {
      if (input !== changed && (isNone || input.value === JSON.stringify("__none__"))) input.checked = false;
    });
  }

  function showError(message) {
    var box = $("q-error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  // What is selected or typed now, unchecked (to keep it across a change of language).
  function currentSelection() {
    if (!state.question) return undefined;
    var inputs = $("q-input").querySelectorAll("input");
    if (inputs.length === 1 && inputs[0].type === "text") return inputs[0].value || undefined;
    var checked = Array.prototype.map.call($("q-input").querySelectorAll("input:checked"), function (input) { return JSON.parse(input.value); });
    if (state.question.kind === "list") return checked.length ? (checked.indexOf("__none__") >= 0 ? [] : checked) : undefined;
    return checked.length ? checked[0] : undefined;
  }

  function currentValue() {
    var question = state.question;
    if (question.kind === "integer" || question.kind === "number") {
      var typed = $("q-input").querySelector("input").value.trim();
      if (!typed) return Promise.reject(new Error(t("typeSomething")));
      return request("POST", "/v1/questions/" + encodeURIComponent(question.attribute) + "/parse", { text: typed, lang: state.lang })
        .then(function (parsed) { return parsed.command ? { command: parsed.command } : { value: parsed.value }; })
        .catch(function (error) {
          if (error.status === 422) throw new Error(error.body.message);
          throw error;
        });
    }
    var checked = Array.prototype.map.call($("q-input").querySelectorAll("input:checked"), function (input) { return JSON.parse(input.value); });
    if (question.kind === "list") {
      if (!checked.length) return Promise.reject(new Error(t("chooseSome")));
      return Promise.resolve({ value: checked.indexOf("__none__") >= 0 ? [] : checked });
    }
    if (!checked.length) return Promise.reject(new Error(t("chooseOne")));
    return Promise.resolve({ value: checked[0] });
  }

  function replied(attribute) {
    var at = state.history.indexOf(attribute);
    if (at >= 0) state.history.splice(at, 1);
    state.history.push(attribute);
  }

  function submitAnswer() {
    if (state.busy || !state.question) return;
    var attribute = state.question.attribute;
    currentValue().then(function (reply) {
      if (reply.command === "skip") return skip();
      if (reply.command === "back") return back();
      if (reply.command === "finish") return showResult();
      if (reply.command === "help") return;
      state.answers[attribute] = reply.value;
      state.skipped = state.skipped.filter(function (name) { return name !== attribute; });
      replied(attribute);
      save();
      advance();
    }).catch(function (error) {
      if (error && error.status) return failed(error, submitAnswer);
      showError(error.message);
      var input = $("q-input").querySelector("input");
      if (input) input.focus();
    });
  }

  function skip() {
    if (state.busy || !state.question) return;
    var attribute = state.question.attribute;
    delete state.answers[attribute];
    if (state.skipped.indexOf(attribute) < 0) state.skipped.push(attribute);
    replied(attribute);
    save();
    advance();
  }

  // Undo the last reply and ask its question again, the old answer selected (as `advisor ask` does).
  function back() {
    if (state.busy || !state.history.length) return;
    var attribute = state.history.pop();
    state.skipped = state.skipped.filter(function (name) { return name !== attribute; });
    state.forced = { attribute: attribute, preset: state.answers[attribute] };
    delete state.answers[attribute];
    save();
    advance();
  }

  // Ask one chosen question now (from the advice: "Answer it", "Change"); its answer stays until replaced.
  function ask(attribute) {
    state.skipped = state.skipped.filter(function (name) { return name !== attribute; });
    state.forced = { attribute: attribute, preset: state.answers[attribute] };
    showView("ask");
    advance();
  }

  // -- the chart --------------------------------------------------------------------------

  function drawChart(modes, summary) {
    $("summary").textContent = summary || "";
    var chart = clear($("chart"));
    modes.forEach(function (mode, index) {
      var fill = el("span", { class: "fill" });
      fill.style.width = Math.max(0, Math.min(100, mode.score)) + "%";
      var leader = index === 0 && mode.verdict !== "excluded" && (modes.length < 2 || mode.score > modes[1].score);
      var item = el("li", { class: "bar v-" + mode.verdict + (leader ? " leader" : "") },
        el("span", { class: "name" }, modeName(mode), el("span", { class: "alt", lang: state.lang === "zh" ? "en" : "zh" }, state.lang === "zh" ? mode.name : mode.name_zh)),
        el("span", { class: "track", "aria-hidden": "true" }, fill),
        el("span", { class: "score" }, String(mode.score)),
        el("span", { class: "sr-only" }, " " + t(mode.verdict)));
      item.title = modeName(mode) + ": " + mode.score + " (" + t(mode.verdict) + ")";
      chart.appendChild(item);
    });
  }

  // -- the advice -------------------------------------------------------------------------

  function showResult() {
    setBusy(true);
    return request("POST", "/v1/advise?what_if=true", profile()).then(function (advice) {
      setBusy(false);
      state.advice = advice;
      showView("result");
      drawChart(advice.modes, state.step ? state.step.summary : "");
      renderAdvice(advice);
      $("result-title").focus();
    }).catch(function (error) { failed(error, showResult); });
  }

  function renderAdvice(advice) {
    var decision = clear($("decision"));
    decision.className = "decision d-" + advice.decision;
    decision.dataset.leadingMode = advice.leading_mode || "";
    decision.appendChild(el("p", { class: "verdict-line" }, el("strong", null, t("decision", { label: t("decisions")[advice.decision] }))));
    // The leader is named big only when it can be advised: a close call names the two at the top,
    // and with too little information no mode is put forward.
    var shown = advice.decision === "clear" ? advice.modes.slice(0, 1) : advice.decision === "close_call" ? advice.modes.slice(0, 2) : [];
    if (shown.length && advice.leading_mode) {
      var line = el("p", { class: "leader-line" });
      shown.forEach(function (mode, index) {
        if (index) line.appendChild(el("span", { class: "or" }, " / "));
        line.appendChild(el("span", { class: "big" }, modeName(mode)));
        line.appendChild(el("span", { class: "alt" }, " " + (state.lang === "zh" ? mode.name : mode.name_zh) + " · " + mode.score));
      });
      decision.appendChild(line);
    }
    var reasons = advice.decision_reasons || {};
    decision.appendChild(el("p", { lang: reasons[state.lang] ? state.lang : "en" }, reasons[state.lang] || advice.decision_reason));
    var meaning = reliabilitySentence(advice.reliability);
    if (meaning) decision.appendChild(el("p", { class: "reliability" }, meaning));
    if (state.step && state.step.done) decision.appendChild(el("p", { class: "hint" }, t("stop", { reason: state.step.reason })));
    $("keep-asking").hidden = !!(state.step && state.step.done && state.step.stop_reason === "all_asked");

    var out = clear($("advice"));
    var featured = featuredModes(advice);
    featured.forEach(function (mode) { out.appendChild(modeSection(mode, "h3")); });
    var others = advice.modes.filter(function (mode) { return featured.indexOf(mode) < 0; });
    if (others.length) {
      var details = el("details", { class: "others" }, el("summary", null, t("otherModes")));
      others.forEach(function (mode) { details.appendChild(modeSection(mode, "h4")); });
      out.appendChild(details);
    }
    out.appendChild(difficultiesSection(advice));
    if (advice.precedents && advice.precedents.length) out.appendChild(precedentsSection(advice));
    if (advice.next_questions.length) out.appendChild(nextQuestionsSection(advice));
    out.appendChild(answersSection());
    out.appendChild(el("p", { class: "versions" }, t("versions", advice.versions)));
  }

  function featuredModes(advice) {
    var modes = advice.modes;
    if (!modes.length) return [];
    var leader = modes[0];
    var featured = [leader];
    modes.slice(1, 3).forEach(function (mode) {
      if (mode.verdict === "recommended" || (advice.decision === "close_call" && leader.score - mode.score < 10)) featured.push(mode);
    });
    return featured;
  }

  function modeSection(mode, heading) {
    var section = el("section", { class: "mode v-" + mode.verdict },
      el(heading, null, t("why", { mode: modeName(mode), score: mode.score }), " ",
        el("span", { class: "badge v-" + mode.verdict }, t(mode.verdict))));
    if (!mode.reasons_for.length && !mode.reasons_against.length) {
      section.appendChild(el("p", { class: "hint" }, t("noReasons")));
      return section;
    }
    var quoted = {};  // each source passage once per mode, as in the terminal's "Sources"
    if (mode.reasons_for.length) section.appendChild(reasonList(t("reasonsFor"), mode.reasons_for, "for", quoted));
    if (mode.reasons_against.length) section.appendChild(reasonList(t("reasonsAgainst"), mode.reasons_against, "against", quoted));
    return section;
  }

  function reasonList(title, reasons, kind, quoted) {
    var list = el("ul", { class: "reasons " + kind, "aria-label": title });
    reasons.forEach(function (reason) {
      var amount = reason.effect === "excludes" ? t("excludes") : (reason.effect === "supports" ? "+" : "−") + reason.weight;
      var item = el("li", null,
        el("span", { class: "weight" }, amount), " ",
        el("span", { lang: reasonLang(reason) }, reasonMessage(reason)), " ",
        el("a", { class: "rule", href: "/v1/rules/" + encodeURIComponent(reason.rule_id), title: reason.rule_name }, reason.rule_id));
      var quote = reason.citations[0];
      if (quote && !quoted[quote.section + quote.quote]) {
        quoted[quote.section + quote.quote] = true;
        item.appendChild(passage(quote));
      }
      list.appendChild(item);
    });
    return el("div", { class: "reason-group" }, el("p", { class: "group-title" }, title), list);
  }

  // A passage of the source: in Chinese its translation, with the source's own words below it
  // (kept for traceability); in English the source's words.
  function passage(quote) {
    if (state.lang === "zh" && quote.quote_zh) {
      return el("blockquote", { lang: "zh" },
        el("span", { class: "section" }, (quote.section_zh || quote.section) + t("colon")), "“" + quote.quote_zh + "”",
        el("span", { class: "original" }, t("original"), "“", el("span", { lang: "en" }, quote.quote), "”"));
    }
    return el("blockquote", { lang: "en" }, el("span", { class: "section" }, quote.section + ": "), "“" + quote.quote + "”");
  }

  // What the decision label has meant on the documented cases: one sentence from measured numbers.
  function reliabilitySentence(reliability) {
    if (!reliability) return "";
    var sentences = TEXT[state.lang] && TEXT[state.lang].reliability;
    if (!sentences) return reliability.sentence;
    if (!reliability.cases) return sentences.unmeasured;
    return sentences[reliability.decision].replace(/\{(\w+)\}/g, function (_, name) {
      var share = sentences.shares[reliability.in_ten];
      return String({ share: share, right: reliability.right, cases: reliability.cases }[name]);
    });
  }

  // A case's region ("China · Hunan") in the page's language (中国·湖南), from the catalogue's places.
  function placeLabel(region) {
    var places = (TEXT[state.lang] && TEXT[state.lang].places) || {};
    return region.split("·").map(function (part) {
      part = part.trim();
      return places[part] === undefined ? part : places[part];
    }).join(places.sep === undefined ? " · " : places.sep);
  }

  // Documented partnerships like this one, each with its mode, years, region, source and what is alike.
  function precedentsSection(advice) {
    var names = {};
    advice.modes.forEach(function (mode) { names[mode.id] = modeName(mode); });
    var section = el("section", { class: "precedents" }, el("h3", null, t("precedents")));
    var list = el("ol", null);
    advice.precedents.forEach(function (p) {
      var alike = Object.keys(p.matching).map(function (name) {
        var question = state.questions[name];
        // beside a value written with its unit, the label without it (经费：3000 万元), as the command line
        var short = (TEXT[state.lang].value_labels || {})[name];
        var label = short !== undefined ? short : question && question.label ? text(question.label) : name;
        return label + t("colon") + displayValue(question, p.matching[name]);
      }).join(t("pairSep"));
      list.appendChild(el("li", { class: "precedent", "data-case": p.id },
        el("strong", null, state.lang === "zh" ? p.name_zh : p.name), " — ", names[p.mode] || p.mode,
        " · " + p.years + " · " + placeLabel(p.region),
        el("br", null), el("span", { class: "hint" }, t("alike") + alike),
        el("br", null), t("caseSource"), el("a", { href: p.source_url, rel: "noopener noreferrer", target: "_blank" }, (state.lang === "zh" && p.source_title_zh) || p.source_title)));
    });
    section.appendChild(list);
    return section;
  }

  function difficultiesSection(advice) {
    var section = el("section", { class: "difficulties" }, el("h3", null, t("difficulties")));
    if (!advice.difficulties.length) {
      section.appendChild(el("p", { class: "hint" }, t("noDifficulties")));
      return section;
    }
    advice.difficulties.forEach(function (flag) {
      var card = el("article", { class: "difficulty s-" + flag.severity },
        el("h4", null, el("span", { class: "badge s-" + flag.severity }, t("severityBadge", { level: t("severity")[flag.severity] })), " ",
          state.lang === "zh" ? flag.name_zh : flag.name, " ", el("span", { class: "alt" }, state.lang === "zh" ? flag.name : flag.name_zh)),
        state.lang === "zh" && flag.description_zh
          ? el("p", { lang: "zh" }, flag.description_zh)
          : el("p", { lang: "en" }, flag.description));
      var list = el("ul", null);
      flag.triggered_by.forEach(function (reason) {
        list.appendChild(el("li", { class: "seen" }, el("strong", null, t("seen")), el("span", { lang: reasonLang(reason) }, reasonMessage(reason)), " ",
          el("a", { class: "rule", href: "/v1/rules/" + encodeURIComponent(reason.rule_id) }, reason.rule_id)));
      });
      flag.mitigations.forEach(function (mitigation) {
        list.appendChild(el("li", { class: "do" }, el("strong", null, t("doThis")),
          el("span", { class: "mitigation-name" }, state.lang === "zh" ? mitigation.name_zh : mitigation.name), " — ",
          state.lang === "zh" && mitigation.action_zh
            ? el("span", { lang: "zh" }, mitigation.action_zh)
            : el("span", { lang: "en" }, mitigation.action)));
      });
      card.appendChild(list);
      section.appendChild(card);
    });
    return section;
  }

  function displayValue(question, value) {
    if (value === undefined) return t("dontKnow");
    if (!question) return JSON.stringify(value);
    if (question.kind === "list") {
      if (!value.length) return t("none");
      return value.map(function (item) { return displayValue(Object.assign({}, question, { kind: "choice" }), item); }).join(t("listSep"));
    }
    if (question.kind === "choice" || question.kind === "boolean") {
      for (var i = 0; i < question.choices.length; i++) {
        if (question.choices[i].value === value) return text(question.choices[i].label);
      }
      return String(value);
    }
    if (question.unit === "count") return Number(value).toLocaleString(t("numberLocale"));
    // A duration and an amount as the command line and the reports write them (3 年, 3000 万元;
    // 3 years, 30,000,000 CNY): the catalogue's `quantities` rule, applied by values.js.
    var rule = TEXT[state.lang].quantities;
    if (question.unit === "months") return window.coopValues.duration(rule, Number(value));
    return window.coopValues.amount(rule, Number(value));
  }

  function nextQuestionsSection(advice) {
    var names = {};
    advice.modes.forEach(function (mode) { names[mode.id] = mode; });
    var section = el("section", { class: "next-questions" }, el("h3", null, t("nextQuestions")));
    var list = el("ul", null);
    advice.next_questions.forEach(function (item) {
      var question = state.questions[item.attribute];
      var effects = el("ul", { class: "effects" });
      item.answers.slice(0, 3).forEach(function (answer) {
        var effect = answer.leading_mode !== advice.leading_mode && names[answer.leading_mode]
          ? t("wouldLead", { mode: modeName(names[answer.leading_mode]), score: answer.leading_score })
          : t("decisionWould", { decision: t("decisions")[answer.decision] });
        effects.appendChild(el("li", null, t("ifAnswer", { value: displayValue(question, answer.value), effect: effect })));
      });
      list.appendChild(el("li", null,
        el("span", { class: "q" }, question ? text(question.text) : item.question), " ",
        el("button", { type: "button", class: "small no-print", onclick: function () { ask(item.attribute); } }, t("answerIt")),
        effects));
    });
    section.appendChild(list);
    return section;
  }

  function answersSection() {
    var section = el("section", { class: "answers" }, el("h3", null, t("yourAnswers")));
    if (!state.history.length) {
      section.appendChild(el("p", { class: "hint" }, t("noAnswers")));
      return section;
    }
    var table = el("dl", null);
    state.history.forEach(function (attribute) {
      var question = state.questions[attribute];
      var value = state.answers[attribute];
      table.appendChild(el("dt", null, question ? text(question.text) : attribute));
      table.appendChild(el("dd", null, el("span", { class: value === undefined ? "unknown" : "" }, displayValue(question, value)), " ",
        el("button", { type: "button", class: "small no-print", onclick: function () { ask(attribute); } }, t("change"))));
    });
    section.appendChild(table);
    return section;
  }

  // -- downloads and printing -----------------------------------------------------------------

  function download(content, name, type) {
    var url = URL.createObjectURL(new Blob([content], { type: type }));
    var link = el("a", { href: url, download: name });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // A report of the advice in the page's language, from the same templates as `advisor advise`.
  function downloadReport(format, name, type) {
    var again = function () { downloadReport(format, name, type); };
    fetch("/v1/advise?what_if=true&format=" + format + "&lang=" + state.lang, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(profile())
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.text();
    }).then(function (report) { download(report, name, type); })
      .catch(function (error) { failed(error, again); });
  }
  function downloadMarkdown() { downloadReport("markdown", "coop-advice.md", "text/markdown;charset=utf-8"); }
  function downloadHtml() { downloadReport("html", "coop-advice.html", "text/html;charset=utf-8"); }

  function downloadJson() {
    if (state.advice) download(JSON.stringify(state.advice, null, 2) + "\n", "coop-advice.json", "application/json");
  }

  function openDetailsForPrint(open) {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (details) {
      if (open) { details.dataset.wasOpen = details.open ? "1" : ""; details.open = true; }
      else { details.open = details.dataset.wasOpen === "1"; }
    });
  }

  // -- language -------------------------------------------------------------------------------

  // The words of `lang` (fetched once); without `lang`, the service picks by Accept-Language.
  function loadWords(lang) {
    if (lang && TEXT[lang]) return Promise.resolve(lang);
    return request("GET", "/v1/catalogue" + (lang ? "?lang=" + encodeURIComponent(lang) : "")).then(function (words) {
      TEXT[words.lang] = words;
      return words.lang;
    });
  }

  function setLanguage(lang, rerender) {
    if (!TEXT[lang]) {
      return loadWords(lang).then(function (loaded) { setLanguage(loaded, rerender); }).catch(function (error) { failed(error); });
    }
    state.lang = lang;
    document.documentElement.lang = t("htmlLang");
    try { localStorage.setItem("coop-advisor-lang", state.lang); } catch (e) { /* not kept */ }
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (node) { node.textContent = t(node.dataset.t); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-lang]"), function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
    });
    document.title = t("title") + " · coop-advisor";
    if (!rerender) return;
    // The service's sentences (summary, reason) are in the old language: ask for them again.
    if (state.view === "result" && state.advice) {
      interviewStep().then(function (step) {
        state.step = step;
        renderAdvice(state.advice);
        drawChart(state.advice.modes, step.summary);
      }).catch(function (error) { failed(error); });
    } else if (state.question) {
      var keep = state.question;
      var selection = currentSelection();
      interviewStep().then(function (step) {
        state.step = step;
        drawChart(step.modes, step.summary);
        showQuestion(keep, step, selection);
      }).catch(function (error) { failed(error); });
    }
  }

  function initialLanguage() {
    var asked = new URLSearchParams(location.search).get("lang");
    if (asked === "zh" || asked === "en") return asked;
    try {
      var saved = localStorage.getItem("coop-advisor-lang");
      if (saved) return saved;
    } catch (e) { /* not kept */ }
    return null;  // a first visit: the service reads the browser's Accept-Language
  }

  // -- keyboard -------------------------------------------------------------------------------

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || state.view !== "ask" || state.busy) return;
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"));
    if (typing) return;  // the text answer gets every key; Enter submits the form
    if (event.key === "Enter" && target && target.tagName === "INPUT") {
      event.preventDefault();
      submitAnswer();
      return;
    }
    if (/^[0-9]$/.test(event.key)) {
      var input = $("q-input").querySelector('input[data-key="' + event.key + '"]');
      if (input) {
        event.preventDefault();
        if (input.type === "checkbox") { input.checked = !input.checked; exclusiveNone(input); }
        else input.checked = true;
        input.focus();
      }
      return;
    }
    if (target && target.tagName === "BUTTON" && event.key === "Enter") return;
    if (event.key === "-" || event.key === "−") { event.preventDefault(); skip(); }
    else if (event.key === "b" || event.key === "B") { event.preventDefault(); back(); }
    else if (event.key === "q" || event.key === "Q") { event.preventDefault(); showResult(); }
  }

  // -- start ----------------------------------------------------------------------------------

  function restart() {
    state.answers = {};
    state.skipped = [];
    state.history = [];
    state.askAll = false;
    state.advice = null;
    state.forced = null;
    save();
    advance();
  }

  // The questions, then the question to ask (or, after a reload of the advice, the advice again).
  function load() {
    var wasResult = state.view === "result";
    request("GET", "/v1/questions").then(function (set) {
      set.questions.forEach(function (question) { state.questions[question.attribute] = question; });
      if (!wasResult) return advance();
      return interviewStep().then(function (step) { state.step = step; return showResult(); });
    }).catch(function (error) { failed(error, load); });
  }

  function start() {
    restore();
    loadWords(initialLanguage()).then(function (lang) {
      setLanguage(lang, false);
      wire();
    }).catch(function (error) { failed(error, start); });
  }

  function wire() {
    $("question-form").addEventListener("submit", function (event) { event.preventDefault(); submitAnswer(); });
    $("skip").addEventListener("click", skip);
    $("back").addEventListener("click", back);
    $("finish").addEventListener("click", showResult);
    $("print").addEventListener("click", function () { window.print(); });
    $("download-md").addEventListener("click", downloadMarkdown);
    $("download-html").addEventListener("click", downloadHtml);
    $("download-json").addEventListener("click", downloadJson);
    $("restart").addEventListener("click", restart);
    $("keep-asking").addEventListener("click", function () {
      // after a finished questionnaire, more questions means every applicable one
      if (state.step && state.step.done) state.askAll = true;
      showView("ask");
      advance();
    });
    $("result-title").setAttribute("tabindex", "-1");
    Array.prototype.forEach.call(document.querySelectorAll("[data-lang]"), function (button) {
      button.addEventListener("click", function () { setLanguage(button.dataset.lang, true); });
    });
    document.addEventListener("keydown", onKey);
    window.addEventListener("beforeprint", function () { openDetailsForPrint(true); });
    window.addEventListener("afterprint", function () { openDetailsForPrint(false); });
    load();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
