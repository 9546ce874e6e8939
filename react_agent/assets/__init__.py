"""Files the HTML report inlines: its template, and the libraries it uses, vendored unchanged
(Tabulator for the episode table, Plotly's basic bundle for the charts; licences beside them)."""
