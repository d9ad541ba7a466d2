using DpBert.Tokenization;

namespace DpBert.Interactive.Tests;

public class TokenizerViewTests
{
    [Fact]
    public void Shows_each_word_piece_with_its_id_and_segment()
    {
        var encoding = new BertEncoding([101, 7592, 2088, 102, 2017, 102], [0, 0, 0, 0, 1, 1], [1, 1, 1, 1, 1, 1], ["[CLS]", "hello", "##world", "[SEP]", "you", "[SEP]"]);
        var root = Xhtml.Parse(encoding.ToTokenizerView().ToHtml());
        var chips = root.All("span").Where(s => s.Attr("class") is "token" or "token special").ToList();
        Assert.Equal(6, chips.Count);
        Assert.Equal(["0", "0", "0", "0", "1", "1"], chips.Select(c => c.Attr("data-segment")));
        Assert.Equal("7592", chips[1].All("span").Single(s => s.Attr("class") == "token-id").Value);
        Assert.Equal("token special", chips[0].Attr("class"));
        Assert.Contains("6 tokens (3 word pieces + special tokens), two segments", root.Value);
        Assert.Equal("[CLS] hello ##world [SEP] you [SEP]", encoding.ToTokenizerView().ToString());
    }

    [Fact]
    public void Works_on_a_real_tokenizer_encoding()
    {
        string vocab = SharedFiles.Path("vocab", "bert-base-uncased", "vocab.txt");
        var tokenizer = BertTokenizer.FromVocabFile(vocab);
        var encoding = tokenizer.Encode("Tokenization isn't <b>hard</b>", "second");
        var root = Xhtml.Parse(encoding.ToTokenizerView().ToHtml());
        var pieces = root.All("span").Where(s => s.Attr("class") is "token" or "token special").Select(s => s.Elements().First().Value).ToList();
        Assert.Equal(encoding.Tokens, pieces);
        Assert.Contains("<", pieces);
    }
}
