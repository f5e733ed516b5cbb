// Starts GraphiQL against this server: queries and mutations over HTTP POST,
// subscriptions over graphql-transport-ws on the same path.
(function () {
  var http = new URL('/graphql', window.location.href);
  var ws = new URL('/graphql', window.location.href);
  ws.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: http.href, subscriptionUrl: ws.href });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
