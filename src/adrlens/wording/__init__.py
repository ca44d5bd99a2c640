"""One source of wording: every sentence a person reads (grade names, the short answer, what to do, the drug
and the condition in everyday words, why we say this) is written here, once. The engine stores the result in
`Answer.layers`; the Markdown and HTML articles, the JSON and the web page all read it from there.
"""
