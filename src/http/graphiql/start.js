// Starts GraphiQL against this service's /graphql. A file of its own because the page's
// Content-Security-Policy allows no inline script.
(function () {
  var url = new URL('/graphql', window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: url });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      // Introspection and every operation need a token: paste one here.
      defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
    })
  );
})();
