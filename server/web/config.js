// Where this client connects. Empty: the server that served the page, at
// ws(s)://HOST/ws (what chatd does). When these files are deployed on their
// own (S3, Amplify), set the server's WebSocket URL, for example
// "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod". A ?server=URL
// parameter in the page's address wins over this.
export default {
  server: "",
};
