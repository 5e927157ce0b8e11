/* The API reference page (/docs): each operation's form sends its request and shows the answer.
 * Served as a file of its own so the page's Content-Security-Policy can forbid inline scripts. */
document.querySelectorAll('form.try').forEach(function (form) {
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var path = form.dataset.path, query = new URLSearchParams(), init = {method: form.dataset.method, headers: {}};
    form.querySelectorAll('input').forEach(function (input) {
      if (input.dataset.in === 'path') path = path.replace('{' + input.name + '}', encodeURIComponent(input.value));
      else if (input.value !== '') query.set(input.name, input.value);
    });
    var body = form.querySelector('textarea');
    if (body) { init.body = body.value; init.headers['Content-Type'] = body.dataset.type; }
    var out = form.querySelector('.response'), url = path + (query.toString() ? '?' + query : '');
    out.textContent = init.method + ' ' + url + ' ...';
    try {
      var response = await fetch(url, init), text = await response.text();
      try { if ((response.headers.get('content-type') || '').indexOf('application/json') === 0) text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
      out.textContent = init.method + ' ' + url + '\n' + response.status + ' ' + response.statusText + '\n\n' + text;
    } catch (error) { out.textContent = document.body.dataset.failed + error; }
  });
});
