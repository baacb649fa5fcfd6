package tokenizer

// trickyInputs are strings chosen to hit the corners of the pre-tokenizers,
// the special-token partition and the detokenizer. testdata/extra.golden.jsonl
// holds llama.cpp's answers for them on every vocabulary configuration
// (written by TestOracleWriteExtra from the llama.cpp oracle).
var trickyInputs = []string{
	"I'M don'T we'Ll they'RE you'VE he'D it'S 'S 'twas ''s",
	"x'sy 's's ' s", "'\n's", "a'b'c'd'e",
	"1 12 123 1234 12345 123456 1234567 12345678901234567890",
	"3.14159 1,000,000 -42 +7 1e10 0x1F 007",
	"١٢٣٤٥ ²³ ①②③ Ⅻ ½ 〇 ٣.١٤",
	"a  b   c    d", "  leading", "trailing   ", " \n \n ", "a\n\nb\n\n\nc", "\r\n\r\n x \r\n",
	"\t\tindent\n\t\tmore", "a \t\n b", "x\u00a0y\u3000z\u2028w\u0085v\u1680u",
	"   \u00a0\u00a0", "\u2003\u2003word", "end \u00a0",
	"HTTPServer iPhone McDonald'S ÉCOLE école ÀÉÎõü ABCdefGHI aBCdEF",
	"ǅungla ǈ ǋ ſt İstanbul ıi",
	"e\u0301 a\u0308\u0301 ก\u0e33 \u0915\u094d\u0937",
	"!!!\n\n???\n,,,", "// comment\n/* block */\n", "a/b//c\n/\n//", "~~~ ~a ~1 ~é", "$100 +5 <=> ^_^ `x` |y|",
	"...\"quoted\"...", "(parens) [brackets] {braces}", "@user #tag %50 &amp; *bold*",
	"日本語のテキスト、한국어 中文，标点。", "カタカナーひらがな", "漢字漢字かな", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ！",
	"µ Ω K ℮ ﬁ 𐐀𐐨 𞤀", "Ελληνικά Русский Ӂ", "עברית العربية ไทย", "\U0002ebf0\u2ffc\u31ef",
	"😀👍🏽👨‍👩‍👧🇫🇷", "𝕏𝕪𝕫 🤖 test",
	"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
	"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nx<|eot_id|>",
	"<s> x </s> <unk>", "<s><s></s>", "<start_of_turn>user\nhi<end_of_turn>\n", "<bos><eos><pad>",
	"<|im_start|><|im_start|<|im_end|", "<<|im_end|>>", "<|endoftext|><|endoftext|>",
	"\x00\x01\x1c\x1f\x7f", "\xff\xfe", "a\xc3b", "\xe2\x82", "\xed\xa0\x80\xed\xbf\xbf", "\xf0\x9f\x98", "\xc0\x80\xc1\xbf",
	"\u2581x \u2581\u2581y", "Ġhello Ċ", "\ufeffBOM \ufffd", "\u200b\u200c\u200d\u2060",
	"The quick brown fox jumps over the lazy dog. Once upon a time",
	"def f(x):\n    return x ** 2  # square\n\n\nprint(f(3))",
	"<html><body><p class=\"a\">Hi &lt;there&gt;</p></body></html>",
	"https://example.com/path?query=1&b=two#frag",
	"Hello , world ! It ' s ok . Isn 't ' t", " ?!., ' ' 's 'm 're 've 'll 'd 't",
}
