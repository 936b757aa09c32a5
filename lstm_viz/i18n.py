"""Every label and explanation of the page, in English and Chinese."""

from __future__ import annotations

LANGS = ("en", "zh")

# One Chinese term per concept, used by every label, scene and figure (a test holds every string to it).
GLOSSARY: dict[str, dict[str, str]] = {
    "hidden unit": {"en": "unit", "zh": "隐藏单元"},
    "cell (RNN, GRU, LSTM)": {"en": "cell", "zh": "循环单元"},
    "cell type": {"en": "cell type", "zh": "循环单元类型"},
    "cell state": {"en": "cell state", "zh": "细胞状态"},
    "gate": {"en": "gate", "zh": "门"},
    "candidate": {"en": "candidate", "zh": "候选值"},
    "hidden state": {"en": "hidden state", "zh": "隐藏状态"},
}

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "Inside a recurrent network", "zh": "循环神经网络内部"},
    "pitch": {"en": "Every gate, state and gradient of a real model, step by step.",
              "zh": "逐步查看真实模型的每个门、状态和梯度。"},
    "language": {"en": "Language", "zh": "语言"},
    "presenter": {"en": "Presenter view (hide controls)", "zh": "演示模式（隐藏控件）"},
    "model": {"en": "Model", "zh": "模型"},
    "source": {"en": "Model source", "zh": "模型来源"},
    "trained": {"en": "Trained (shipped)", "zh": "已训练（内置）"},
    "random": {"en": "Fresh random (seeded)", "zh": "随机初始化（固定种子）"},
    "upload": {"en": "Upload a state_dict", "zh": "上传 state_dict"},
    "task": {"en": "Task", "zh": "任务"},
    "cell": {"en": "Cell", "zh": "循环单元类型"},
    "lag": {"en": "Recall lag", "zh": "回忆间隔"},
    "hidden": {"en": "Hidden size", "zh": "隐藏层大小"},
    "layers": {"en": "Layers", "zh": "层数"},
    "seed": {"en": "Seed", "zh": "随机种子"},
    "scale": {"en": "Weight scale", "zh": "权重缩放"},
    "mode": {"en": "Read the text as", "zh": "文本读取方式"},
    "chars": {"en": "characters", "zh": "字符"},
    "choose": {"en": "Choose units", "zh": "选择隐藏单元"},
    "words": {"en": "words", "zh": "词"},
    "numbers": {"en": "numbers", "zh": "数字"},
    "sequence": {"en": "Sequence", "zh": "序列"},
    "sequence_help": {"en": "One step per Unicode code point (characters), per word or CJK character (words), "
                            "or per number. Symbols outside the model's vocabulary become <unk> steps.",
                      "zh": "字符模式下每个 Unicode 码位一步；词模式下每个词或每个汉字一步；数字模式下每个数一步。"
                            "词表外的符号会变成 <unk>。"},
    "upload_file": {"en": "A model's state_dict or checkpoint (.safetensors, .pt, .pth, .bin, .npz) or a Keras file "
                          "(.keras, .weights.h5, .h5)",
                    "zh": "模型的 state_dict 或检查点（.safetensors、.pt、.pth、.bin、.npz）或 Keras 文件（.keras、"
                          ".weights.h5、.h5）"},
    "upload_vocab": {"en": "Vocabulary (optional): .json or .txt", "zh": "词表（可选）：.json 或 .txt"},
    "upload_vocab_help": {"en": "A JSON list of tokens, a JSON {token: index} dict, one token per line, or one line "
                                "of characters (like the PyTorch tutorial's all_letters). It maps typed symbols to "
                                "the model's own input indices.",
                          "zh": "JSON 词列表、JSON 字典（词 → 序号）、每行一个词，或一行字符（如 PyTorch 教程中的 "
                                "all_letters）。它把输入的符号映射到模型自己的输入序号。"},
    "upload_labels": {"en": "Output labels (optional): .json or .txt", "zh": "输出标签（可选）：.json 或 .txt"},
    "upload_inputs": {"en": "Input features (optional): .npy or .csv, one row per step",
                      "zh": "输入特征（可选）：.npy 或 .csv，每步一行"},
    "upload_inputs_help": {"en": "For a model that reads several real numbers per step: an array [T, input_size] "
                                 "(.npy, never unpickled) or a CSV with one step per row. It replaces the typed "
                                 "sequence.",
                           "zh": "用于每步读入多个实数的模型：形状为 [T, input_size] 的数组（.npy，不会反序列化）或"
                                 "每步一行的 CSV。它代替输入框中的序列。"},
    "upload_inputs_used": {"en": "Inputs: {name}, {T} steps × {m} features (the typed sequence is not used).",
                           "zh": "输入：{name}，{T} 步 × {m} 个特征（不使用输入框中的序列）。"},
    "upload_prefix": {"en": "Several recurrent layers in this file: which one?",
                      "zh": "文件中有多个循环层：显示哪一个？"},
    "upload_nonlinearity": {"en": "Nonlinearity of this nn.RNN", "zh": "这个 nn.RNN 的非线性函数"},
    "upload_nonlinearity_help": {"en": "The weights do not say whether the RNN was built with tanh or relu: choose "
                                       "the one it was trained with.",
                                 "zh": "权重无法说明这个 RNN 用的是 tanh 还是 relu：请选择训练时使用的那个。"},
    "upload_found": {"en": "Found beside the recurrent layer and used: {names}",
                     "zh": "在循环层旁找到并使用：{names}"},
    "note_cells": {"en": "Read as one recurrent layer per cell, assuming the cells run in this order, each reading the "
                         "hidden state of the one before: {names}.",
                   "zh": "每个循环单元读作一层，假设它们按此顺序运行，每一个读入前一个的隐藏状态：{names}。"},
    "note_cell": {"en": "Read from one cell ({names}), assuming the model's code runs it once per step.",
                  "zh": "读自一个循环单元（{names}），假设模型的代码每一步调用它一次。"},
    "note_keras_weights": {"en": "A weights file holds no description of the model: its layers were told apart by "
                                 "their names and shapes, with Keras' default activations (tanh, sigmoid gates) and "
                                 "an output layer read as logits.",
                           "zh": "权重文件不含模型的结构描述：各层按名称和形状识别，采用 Keras 的默认激活函数（tanh，"
                                 "门用 sigmoid），输出层按 logits 读取。"},
    "note_keras_last": {"en": "In Keras this model reads its output at the last step only (return_sequences=False); "
                              "the outputs shown at earlier steps are what its output layer gives there.",
                        "zh": "在 Keras 中这个模型只在最后一步读取输出（return_sequences=False）；前面各步显示的是其"
                              "输出层在该步给出的值。"},
    "note_keras_mask": {"en": "Its embedding has mask_zero=True: Keras skips steps of token 0 (padding); here every "
                              "step is run, so keep token 0 out of the sequence.",
                        "zh": "它的嵌入层设置了 mask_zero=True：Keras 会跳过词序号 0（填充）的步；这里每一步都会运行，"
                              "所以序列中不要出现序号 0。"},
    "note_keras_head": {"en": "The output layer's activation is not in a weights file: it is read as logits "
                              "(softmax over them, or the value itself for one output).",
                        "zh": "权重文件不含输出层的激活函数：按 logits 读取（对其取 softmax，只有一个输出时取其值）。"},
    "upload_needs_vocab": {"en": "This model reads its input through an embedding: upload its vocabulary to map "
                                 "typed symbols to its own token indices.",
                           "zh": "这个模型通过嵌入层读取输入：请上传它的词表，把输入的符号映射到它自己的词序号。"},
    "trunc_budget": {"en": "Truncated BPTT passes every step back k steps, one at a time: k = {k} on {T} steps of this "
                           "model is past one page's work budget. Use k of at most {n}, or full BPTT (k = 0).",
                     "zh": "截断 BPTT 要把每一步逐步反向传回 k 步：这个模型在 {T} 步上取 k = {k} 超出了单页的计算预算。"
                           "请取不超过 {n} 的 k，或使用完整 BPTT（k = 0）。"},
    "clamp_budget": {"en": "A clamped run passes every step back over the whole sequence: {T} steps of this model are "
                           "past one page's work budget. Clamp a sequence of at most {n} steps.",
                     "zh": "钳制后的运行要把每一步沿整个序列反向传回：这个模型的 {T} 步超出了单页的计算预算。"
                           "请钳制最多 {n} 步的序列。"},
    "labels_mismatch": {"en": "{name} names {n} outputs, but the model's output layer has {c}: upload the labels of "
                              "this model, one per output.",
                        "zh": "{name} 给出了 {n} 个输出名称，但模型的输出层有 {c} 个输出：请上传这个模型的标签，"
                              "每个输出一个。"},
    "upload_first": {"en": "Upload a file to see its model.", "zh": "请先上传模型文件。"},
    "upload_slots": {"en": "A state_dict carries no vocabulary. In characters or words mode, input slot 0 is <unk> "
                           "and slots 1, 2, … are the distinct symbols of the typed text in the order they first "
                           "appear; slots left over stay zero. In numbers mode every input feature gets the number.",
                     "zh": "state_dict 不含词表。字符或词模式下，输入第 0 位是 <unk>，第 1、2……位依次是输入文本中"
                           "首次出现的不同符号；多出的位置保持为 0。数字模式下，每个输入特征都取这个数。"},
    "step": {"en": "Step t", "zh": "时间步 t"},
    "unit": {"en": "Unit", "zh": "隐藏单元"},
    "layer": {"en": "Layer", "zh": "层"},
    "layer_top": {"en": "{n}, the top layer", "zh": "{n}，顶层"},
    "view": {"en": "View", "zh": "视图"},
    "v_step": {"en": "One step", "zh": "单步"},
    "v_time": {"en": "Over time", "zh": "随时间"},
    "v_grad": {"en": "Gradients", "zh": "梯度"},
    "v_intervene": {"en": "Interventions", "zh": "干预"},
    "v_train": {"en": "Training", "zh": "训练"},
    "v_params": {"en": "Parameters", "zh": "参数"},
    "v_export": {"en": "Export", "zh": "导出"},
    "prediction": {"en": "Prediction", "zh": "预测"},
    "loss_used": {"en": "Loss used for the gradients", "zh": "梯度所用的损失"},
    "forward": {"en": "Forward, PyTorch form", "zh": "前向（PyTorch 形式）"},
    "textbook": {"en": "Forward, textbook form", "zh": "前向（教材形式）"},
    "backward": {"en": "Backward at this step", "zh": "此步的反向传播"},
    "units_to_plot": {"en": "Units to plot", "zh": "要绘制的隐藏单元"},
    "window": {"en": "Full-resolution window", "zh": "全分辨率窗口"},
    "downsampled": {"en": "The sequence is long: heatmaps show bin means of {bin} steps; pick a window for full "
                          "resolution.",
                    "zh": "序列较长：热图显示每 {bin} 步的平均值；选择窗口可查看全分辨率。"},
    "whh_radius": {"en": "Set ρ(W_hh) to", "zh": "把 ρ(W_hh) 设为"},
    "forget_bias": {"en": "Forget-gate bias (LSTM)", "zh": "遗忘门偏置（LSTM）"},
    "seq_len": {"en": "Sequence length", "zh": "序列长度"},
    "truncate": {"en": "Truncated-BPTT window k", "zh": "截断 BPTT 窗口 k"},
    "clip": {"en": "Clipping threshold", "zh": "梯度裁剪阈值"},
    "knob_as_model": {"en": "as trained", "zh": "保持原值"},
    "knob_typed": {"en": "the typed text", "zh": "输入的序列"},
    "knob_full": {"en": "full BPTT", "zh": "完整 BPTT"},
    "knob_off": {"en": "off", "zh": "关闭"},
    "compare_cells": {"en": "RNN vs GRU vs LSTM on the same input", "zh": "同一输入下 RNN、GRU、LSTM 的对比"},
    "grad_norm": {"en": "Parameter-gradient norm {a:.4g}; after clipping at {c:g}: {b:.4g}",
                  "zh": "参数梯度范数 {a:.4g}；按 {c:g} 裁剪后：{b:.4g}"},
    "compare_limit": {"en": "The cell comparison runs on sequences up to {n:,} steps.",
                      "zh": "循环单元对比只在不超过 {n:,} 步的序列上运行。"},
    "compare_caption": {"en": "The gradient that reaches each cell's memory t steps back, with the same loss L = Σ h_T "
                              "for all three: the hidden state h for the RNN and the GRU, the cell state c for the "
                              "LSTM. Same input, same knobs; trained models of the same task where they are shipped, "
                              "else fresh seeded ones of the same sizes and weight scale.",
                        "zh": "梯度传回 t 步之前、到达各循环单元的记忆状态时的大小，三者使用同一个损失 L = Σ h_T："
                              "RNN 和 GRU 看隐藏状态 h，LSTM 看细胞状态 c。输入和旋钮相同；有内置模型时用同一任务的"
                              "训练模型，否则用同样大小、同样权重缩放的固定种子随机模型。"},
    "f_memory_gradient": {"en": "‖∂L/∂(memory state)‖ (log)", "zh": "‖∂L/∂（记忆状态）‖（对数坐标）"},
    "chart_format": {"en": "Chart download format", "zh": "图表下载格式"},
    "f_unit": {"en": "unit", "zh": "隐藏单元"},
    "f_layer": {"en": "layer", "zh": "层"},
    "f_steps_back": {"en": "steps back from the end", "zh": "距末尾的步数"},
    "f_norm": {"en": "norm (log scale)", "zh": "范数（对数坐标）"},
    "f_cell_path": {"en": "cell path mean ∏f", "zh": "细胞路径 ∏f 的均值"},
    "f_share": {"en": "share of values", "zh": "所占比例"},
    "f_saturation": {"en": "gate saturation", "zh": "门的饱和度"},
    "f_loss": {"en": "loss", "zh": "损失"},
    "f_batch_acc": {"en": "batch accuracy", "zh": "批准确率"},
    "f_update": {"en": "update (Adam step)", "zh": "更新（Adam 步）"},
    "f_loss_curves": {"en": "Training loss, one budget, two starting forget-gate biases",
                      "zh": "训练损失：同一训练预算，两种初始遗忘门偏置"},
    "cost_heading": {"en": "Measured on this project's machine (python benchmarks/bench_cost.py)",
                     "zh": "在本项目的机器上测得（python benchmarks/bench_cost.py）"},
    "cost_step": {"en": "one step (µs)", "zh": "单步（微秒）"},
    "cost_sequence": {"en": "whole sequence (ms)", "zh": "整个序列（毫秒）"},
    "cost_input_side": {"en": "input side of all steps at once (ms)", "zh": "所有步的输入部分一次算完（毫秒）"},
    "cost_caption": {"en": "m = {m}, n = {n}, T = {T} steps, batch 1, one thread, PyTorch {torch}, forward only. "
                           "The input side W_ih x_t of every step is one matrix product; the rest waits step by step "
                           "for h_(t-1).",
                     "zh": "m = {m}，n = {n}，T = {T} 步，批大小 1，单线程，PyTorch {torch}，仅前向。所有步的输入部分 "
                           "W_ih x_t 是一次矩阵乘法；其余部分必须逐步等待 h_(t-1)。"},
    "cost_memory": {"en": "Memory at longer lags: {model} (trained at lag {lag}), accuracy on fresh sequences by lag: "
                          "{accs}.",
                    "zh": "更长间隔下的记忆：{model}（在间隔 {lag} 上训练），在新序列上按间隔的准确率：{accs}。"},
    "finit": {"en": "Trained from forget-gate bias", "zh": "训练时的初始遗忘门偏置"},
    "finit_help": {"en": "This LSTM was also trained from forget-gate bias 0 and from 1, with one budget (same task, "
                         "seed and steps). Pick one to see it; none: the shipped model.",
                   "zh": "这个 LSTM 还用同样的训练预算（同样的任务、种子和步数）分别从遗忘门偏置 0 和 1 开始训练过。"
                         "选择一个查看；都不选：内置模型。"},
    "finit_run": {"en": "forget bias {b} at the start", "zh": "初始遗忘门偏置 {b}"},
    "finit_model": {"en": "trained from forget-gate bias {b} at the start", "zh": "从初始遗忘门偏置 {b} 开始训练"},
    "finit_shown": {"en": "Shown: the recall LSTM (lag {lag}) trained from forget-gate bias {b}; final loss "
                          "{loss} (mean of the last {n} updates), accuracy {acc} on fresh samples. "
                          "Seeds {seeds}: {runs}.",
                    "zh": "当前显示：从遗忘门偏置 {b} 开始训练的回忆 LSTM（间隔 {lag}）；最终损失 {loss}"
                          "（最后 {n} 次更新的平均），在新样本上的准确率 {acc}。种子 {seeds}：{runs}。"},
    "f_original": {"en": "original", "zh": "原始"},
    "f_clamped": {"en": "clamped", "zh": "钳制后"},
    "gate": {"en": "Gate", "zh": "门"},
    "value": {"en": "Value", "zh": "值"},
    "units_to_clamp": {"en": "Units to clamp (empty = all)", "zh": "要钳制的隐藏单元（留空表示全部）"},
    "steps_to_clamp": {"en": "Steps to clamp", "zh": "要钳制的时间步"},
    "formula": {"en": "per layer", "zh": "每层"},
    "parameters": {"en": "parameters", "zh": "参数数量"},
    "no_gates": {"en": "A vanilla RNN has no gates to clamp.", "zh": "普通 RNN 没有可钳制的门。"},
    "own_text": {"en": "Train on the typed text instead of the bundled sample",
                 "zh": "用输入的文本训练（而不是内置样本）"},
    "trained_banner": {"en": "Showing the model you trained here ({steps} steps, accuracy {acc:.3f} on fresh samples), "
                             "not the shipped one. A copied link opens the shipped model: this one lives only in "
                             "this browser tab.",
                       "zh": "正在显示你在这里训练的模型（{steps} 步，新样本准确率 {acc:.3f}），而不是内置模型。"
                             "复制的链接会打开内置模型：这个模型只存在于当前浏览器标签页中。"},
    "back_to_shipped": {"en": "Back to the shipped model", "zh": "回到内置模型"},
    "train_needs_task": {"en": "Training needs a task: choose a trained (shipped) model in the sidebar.",
                         "zh": "训练需要一个任务：请在侧边栏选择已训练（内置）模型。"},
    "train_steps": {"en": "Training steps", "zh": "训练步数"},
    "train_button": {"en": "Train", "zh": "开始训练"},
    "snapshot": {"en": "Snapshot (training step)", "zh": "快照（训练步）"},
    "trained_acc": {"en": "Accuracy on fresh samples: {a:.3f}", "zh": "新样本上的准确率：{a:.3f}"},
    "held_out_images": {"en": "Accuracy on the {n} held-out images (never trained on): the BiLSTM reading both final "
                              "states {fs:.3f}, the same network reading outputs[-1] {last:.3f} (this page shows the "
                              "one reading {readout}); on the same images a nearest-class-mean classifier {nm:.3f} and "
                              "logistic regression on the 64 pixels {lr:.3f}.",
                        "zh": "在 {n} 张留出图像（从未用于训练）上的准确率：读取两个方向最终状态的双向 LSTM {fs:.3f}，"
                              "同样的网络读取 outputs[-1] {last:.3f}（本页显示的是读取{readout}的那个）；同样的图像上，"
                              "最近类均值分类器 {nm:.3f}，基于 64 个像素的逻辑回归 {lr:.3f}。"},
    "digits_input": {"en": "An image is 8 rows of 8 pixels, read one row per step: type #k for held-out image k "
                           "(0 to 296), or 8 lines of 8 pixel values from 0 to 16.",
                     "zh": "一张图像有 8 行、每行 8 个像素，每一步读入一行：输入 #k 表示第 k 张留出图像（0 到 296），"
                           "或输入 8 行、每行 8 个 0 到 16 的像素值。"},
    "readout": {"en": "Readout of the bidirectional LSTM", "zh": "双向 LSTM 的读出方式"},
    "readout_final_states": {"en": "both final states", "zh": "两个方向的最终状态"},
    "readout_outputs": {"en": "outputs[-1]", "zh": "outputs[-1]（最后一步的输出）"},
    "readout_help": {"en": "The same network trained twice. Both final states: the output layer reads the forward "
                           "direction after the last row and the backward direction after the first row, each having "
                           "read the whole image. outputs[-1]: it reads the last step's output, where the backward "
                           "direction has read only the last row.",
                     "zh": "同一个网络训练了两次。两个方向的最终状态：输出层读取前向在最后一行之后、反向在第一行之后的"
                           "隐藏状态，两者都读完了整张图像。outputs[-1]：输出层读取最后一步的输出，此时反向只读了最后"
                           "一行。"},
    "held_out_bpc": {"en": "Bits per character on the held-out text ({n:,} characters never trained on): the "
                           "shipped model {bpc:.3f}, a {k}-character n-gram {ng:.3f}, uniform guessing {u:.3f}. "
                           "Lower is better.",
                     "zh": "留出文本（{n:,} 个从未用于训练的字符）上的每字符比特数：内置模型 {bpc:.3f}，"
                           "{k} 字符 n-gram {ng:.3f}，均匀猜测 {u:.3f}。越低越好。"},
    "held_out_ppl": {"en": "Perplexity on the held-out text ({n:,} words never trained on, {unk:.0%} of them "
                           "<unk>): the shipped model {ppl:.1f}, a bigram {bi:.1f}, a unigram {uni:.1f}, uniform "
                           "guessing {u:,}. Lower is better.",
                     "zh": "留出文本（{n:,} 个从未用于训练的词，其中 {unk:.0%} 为 <unk>）上的困惑度：内置模型 "
                           "{ppl:.1f}，二元模型 {bi:.1f}，一元模型 {uni:.1f}，均匀猜测 {u:,}。越低越好。"},
    "one_lstm": {"en": "One LSTM is shipped for this task.", "zh": "此任务只内置了一个 LSTM。"},
    "cells_found_heading": {"en": "Units that follow features of the text (found by Pearson r over the first {n:,} "
                                  "held-out characters; watch them in the over-time view)",
                            "zh": "跟随文本特征的隐藏单元（用前 {n:,} 个留出字符上的皮尔逊相关系数 r 找到；"
                                  "可在随时间变化的视图中观察）"},
    "cells_found_row": {"en": "{feature}: {state} of unit {unit}, r = {r:+.2f}",
                        "zh": "{feature}：隐藏单元 {unit} 的 {state}，r = {r:+.2f}"},
    "feat_line_position": {"en": "position in the line", "zh": "行内位置"},
    "feat_speaker_line": {"en": "inside a speaker's name line", "zh": "在说话人名字行内"},
    "feat_just_read_newline": {"en": "just read a newline", "zh": "刚读到换行"},
    "feat_word_position": {"en": "position in the word", "zh": "词内位置"},
    "feat_vowel": {"en": "a vowel", "zh": "元音字母"},
    "feat_consonant": {"en": "a consonant", "zh": "辅音字母"},
    "feat_upper_case": {"en": "upper case", "zh": "大写字母"},
    "feat_space": {"en": "a space", "zh": "空格"},
    "feat_punctuation": {"en": "punctuation", "zh": "标点"},
    "samples_heading": {"en": "What the shipped model writes after a prompt (seeded samples, temperature {temp})",
                        "zh": "内置模型接着提示写出的文本（固定种子采样，温度 {temp}）"},
    "params_table": {"en": "Parameter counts at these sizes (PyTorch keeps two bias vectors)",
                     "zh": "这些尺寸下的参数数量（PyTorch 有两组偏置）"},
    "download_trace": {"en": "Trace as CSV", "zh": "下载 Trace（CSV）"},
    "download_grad": {"en": "GradientFlow as CSV", "zh": "下载 GradientFlow（CSV）"},
    "download_npz": {"en": "Everything as NPZ", "zh": "全部数据（NPZ）"},
    "figures_hint": {"en": "Every chart downloads from the camera button of its toolbar, as PNG or SVG (the format "
                           "is chosen in the sidebar); the step player downloads its diagram as SVG.",
                     "zh": "每个图表都可以用工具栏的相机按钮下载，格式（PNG 或 SVG）在侧边栏选择；"
                           "单步播放器可把示意图下载为 SVG。"},
    "share": {"en": "Every setting is in the page address: copy it to share this exact view.",
              "zh": "所有设置都保存在网址中：复制网址即可分享当前视图。"},
    "unk_steps": {"en": "{n} step(s) are outside the vocabulary and shown as <unk>.",
                  "zh": "有 {n} 步不在词表中，显示为 <unk>。"},
    "unk_task": {"en": "{n} of {T} steps are outside what this model reads and are shown as <unk>: the {task} model "
                       "reads only {symbols}. For free text in any language, choose the task “{free}”.",
                 "zh": "{T} 步中有 {n} 步不在这个模型能读的符号之内，显示为 <unk>：“{task}”模型只读 {symbols}。"
                       "要输入任意语言的自由文本，请选择任务“{free}”。"},
    "text_accuracy": {"en": "Accuracy on the {n} targets this text defines: original {a:.3f} → clamped {b:.3f}",
                      "zh": "在这段文本给出的 {n} 个目标上的准确率：原始 {a:.3f} → 钳制后 {b:.3f}"},
    "colon": {"en": ": ", "zh": "："},
    "scene_text": {"en": "The scene's text", "zh": "场景说明"},
    "show_unrolled": {"en": "Show the network unrolled over its first steps",
                      "zh": "显示按时间展开的前几步"},
    "use_probe": {"en": "Probe loss L = Σ h_T instead", "zh": "改用探针损失 L = Σ h_T"},
    "use_probe_help": {"en": "The same loss for any model, with or without an output layer: the sum of the top "
                             "layer's last hidden state.",
                       "zh": "对任何模型都相同的损失（无论有无输出层）：顶层最后一步隐藏状态之和。"},
    "teacher_notes": {"en": "Notes for the teacher", "zh": "教师备注"},
    "answer": {"en": "Expected answer", "zh": "参考答案"},
    "exit_presenter": {"en": "✕ Exit", "zh": "✕ 退出演示"},
    "prev_scene_short": {"en": "◀ Back", "zh": "◀ 上一个"},
    "next_scene_short": {"en": "Next ▶", "zh": "下一个 ▶"},
    "notice": {"en": "Some settings in the address were not valid and were replaced by their defaults:",
               "zh": "网址中的部分设置无效，已改用默认值："},
    "lesson": {"en": "Lesson", "zh": "课程"},
    "scene": {"en": "Scene", "zh": "场景"},
    "try_this": {"en": "Try this", "zh": "试一试"},
    "try_opening": {"en": "As the scene opens", "zh": "场景开始时"},  # an exported file's first try button
    "try_page_only": {"en": "on the page only", "zh": "仅在网页上"},  # a try whose view a file does not hold
    "no_lesson": {"en": "(free exploration)", "zh": "（自由探索）"},
    "prev_scene": {"en": "◀ Previous scene", "zh": "◀ 上一个场景"},
    "next_scene": {"en": "Next scene ▶", "zh": "下一个场景 ▶"},
    "f_steps_back_short": {"en": "steps back", "zh": "步之前"},
    "f_unrolled": {"en": "Unrolled over the first steps: x → h → y, the same weights at every copy; the gradient "
                         "goes back along h (red: ‖∂L/∂h_t‖)",
                   "zh": "按时间展开的前几步：x → h → y，每个副本共享同一组权重；梯度沿 h 反向传播（红色：‖∂L/∂h_t‖）"},
    "f_underflow": {"en": "underflowed to 0", "zh": "下溢为 0"},
    "f_overflow": {"en": "overflowed (past 10^38)", "zh": "上溢（超过 10^38）"},
    "f_exploded": {"en": "exploded past 10^38 at step {t}", "zh": "在第 {t} 步爆炸，超过 10^38"},
    "f_whh_term": {"en": "step t's term of ∂L/∂W_hh", "zh": "∂L/∂W_hh 中第 t 步的项"},
    "f_whh_clipped": {"en": "after clipping (the scale is under the chart)", "zh": "裁剪后（缩放倍数见图下方）"},
    "rho_now": {"en": "ρ(W_hh) of the model shown", "zh": "当前模型的 ρ(W_hh)"},
    "rho_help": {"en": "Spectral radius (largest |eigenvalue|) of the top layer's recurrent matrix of the candidate "
                       "(W_hh for the RNN, W_hg for the LSTM, W_hn for the GRU).",
                 "zh": "顶层候选值循环矩阵的谱半径（最大特征值的模；RNN 为 W_hh，LSTM 为 W_hg，GRU 为 W_hn）。"},
    "fbias_now": {"en": "mean forget-gate bias b_f", "zh": "遗忘门偏置 b_f 的均值"},
    "fbias_set": {"en": "Set the forget-gate bias", "zh": "设置遗忘门偏置"},
    "knob_partly_live": {"en": "drawn as you drag: {lo} to {hi}; beyond, on release",
                         "zh": "拖动时实时绘制：{lo} 到 {hi}；超出部分松开后绘制"},
    "knob_not_live": {"en": "drawn on release (past the page's work budget)", "zh": "松开后绘制（超出页面的计算预算）"},
    "knob_on_release": {"en": "This value is drawn when you let go of the knob.", "zh": "松开滑块后绘制这个取值。"},
    "knob_busy": {"en": "drawn on release (the server is busy: move it again in a moment)",
                  "zh": "松开后绘制（服务器繁忙：稍后再拖动）"},
    "knob_in_file": {"en": "This value is not in this file (past the page's work budget): open it on the page.",
                     "zh": "这个取值不在此文件中（超出页面的计算预算）：请在网页上打开。"},
    "unit_help": {"en": "The hidden unit shown in the diagram and equations, outlined on the heatmaps.",
                  "zh": "示意图和公式中显示的隐藏单元，在热图上以方框标出。"},
    # the cell diagram (hover texts and labels)
    "d_h_prev": {"en": "previous hidden state h₍ₜ₋₁₎", "zh": "上一步的隐藏状态 h₍ₜ₋₁₎"},
    "d_c_prev": {"en": "previous cell state c₍ₜ₋₁₎", "zh": "上一步的细胞状态 c₍ₜ₋₁₎"},
    "d_x": {"en": "input at this step (one-hot symbol or numbers; the layer below's h for upper layers)",
            "zh": "这一步的输入（独热符号或数值；上层的输入是下一层的 h）"},
    "d_forget_op": {"en": "f ⊙ c₍ₜ₋₁₎: the part of the old memory that is kept",
                    "zh": "f ⊙ c₍ₜ₋₁₎：旧记忆中被保留的部分"},
    "d_add_op": {"en": "cₜ = f ⊙ c₍ₜ₋₁₎ + i ⊙ c̃: kept memory plus written content",
                 "zh": "cₜ = f ⊙ c₍ₜ₋₁₎ + i ⊙ c̃：保留的记忆加上写入的内容"},
    "d_write_op": {"en": "i ⊙ c̃: how much of the candidate is written", "zh": "i ⊙ c̃：候选值中写入的部分"},
    "d_tanh_c": {"en": "tanh(cₜ): the memory squashed to [−1, 1]", "zh": "tanh(cₜ)：压缩到 [−1, 1] 的记忆"},
    "d_output_op": {"en": "hₜ = o ⊙ tanh(cₜ): the exposed part of the memory",
                    "zh": "hₜ = o ⊙ tanh(cₜ)：对外输出的记忆"},
    "d_keep_op": {"en": "z ⊙ h₍ₜ₋₁₎: the part of the past that is kept (PyTorch's z)",
                  "zh": "z ⊙ h₍ₜ₋₁₎：保留的过去（PyTorch 的 z）"},
    "d_take_op": {"en": "(1 − z) ⊙ n: the part of the candidate that is taken",
                  "zh": "(1 − z) ⊙ n：采用的候选值部分"},
    "d_gru_add": {"en": "hₜ = (1 − z) ⊙ n + z ⊙ h₍ₜ₋₁₎", "zh": "hₜ = (1 − z) ⊙ n + z ⊙ h₍ₜ₋₁₎"},
    "d_reset_op": {"en": "r ⊙ (W_hn h₍ₜ₋₁₎ + b_hn): the past as the candidate sees it",
                   "zh": "r ⊙ (W_hn h₍ₜ₋₁₎ + b_hn)：候选值看到的过去"},
    "download_interactive": {"en": "Download this view as an interactive page", "zh": "下载此视图为可交互网页"},
    "download_interactive_help": {
        "en": "One HTML file with the step player and this sequence's numbers: it opens with no server and no "
              "network (an LMS, a USB stick, a slide).",
        "zh": "一个包含逐步播放器和该序列数值的 HTML 文件：无需服务器、无需网络即可打开（学习平台、U 盘、幻灯片）。"},
    "d_reset_label": {"en": "r ⊙ (W_hn h + b_hn)", "zh": "r ⊙ (W_hn h + b_hn)"},
    "d_rnn_sum": {"en": "the pre-activation W_ih xₜ + b_ih + W_hh h₍ₜ₋₁₎ + b_hh",
                  "zh": "激活前值 W_ih xₜ + b_ih + W_hh h₍ₜ₋₁₎ + b_hh"},
    "d_to_next": {"en": "to the next step", "zh": "传到下一步"},
    "d_forward_dir": {"en": "→ Forward direction of a bidirectional layer: it reads x₀, x₁, … and hₜ follows from "
                            "h₍ₜ₋₁₎.",
                      "zh": "→ 双向层的正向：按 x₀、x₁、… 的顺序读入，hₜ 由 h₍ₜ₋₁₎ 得到。"},
    "d_reverse_dir": {"en": "← Reverse direction of a bidirectional layer: it reads the sequence from its end, so "
                            "hₜ follows from h₍ₜ₊₁₎ (zero after the last step).",
                      "zh": "← 双向层的反向：从序列末尾往前读，hₜ 由 h₍ₜ₊₁₎ 得到（最后一步之后为零）。"},
    "dir_forward": {"en": "→ forward", "zh": "→ 正向"},
    "jacobian_budget": {"en": "‖∂h_T/∂h_t‖ is left out here: a product of {T} Jacobians of {H}×{H} is past one "
                              "page's work budget (shorten the sequence or use fewer units to see it).",
                        "zh": "此处不显示 ‖∂h_T/∂h_t‖：{T} 个 {H}×{H} 雅可比矩阵的乘积超出单次页面的计算预算"
                              "（缩短序列或减少隐藏单元即可看到）。"},
    "run_budget": {"en": "{T:,} steps of this model are past one page's work budget: it reads at most {n:,} steps "
                         "(use a shorter sequence, fewer units or fewer layers).",
                   "zh": "此模型运行 {T:,} 步超出单次页面的计算预算：最多 {n:,} 步"
                         "（请缩短序列，或减少隐藏单元或层数）。"},
    "grad_budget": {"en": "The gradients of this model over {T:,} steps are past one page's work budget: choose at "
                          "most {n:,} steps, fewer units or fewer layers to see them.",
                    "zh": "此模型在 {T:,} 步上的梯度超出单次页面的计算预算："
                          "请选择不超过 {n:,} 步，或减少隐藏单元或层数。"},
    "compare_budget": {"en": "The cell comparison is left out at this size: the three cells over {T:,} steps are past "
                             "one page's work budget (it runs up to {n:,} steps here).",
                       "zh": "此规模下不显示循环单元对比：三种循环单元在 {T:,} 步上的计算超出单次页面的预算"
                             "（此处最多 {n:,} 步）。"},
    "bi_units": {"en": "Bidirectional: units 0–{a} run forward (→), units {b}–{c} run in reverse (←), as in "
                       "PyTorch's output.",
                 "zh": "双向模型：隐藏单元 0–{a} 为正向（→），{b}–{c} 为反向（←），与 PyTorch 的输出顺序一致。"},
    "trunc_bi": {"en": "Truncated BPTT follows one direction of time; a bidirectional model's gradient is shown "
                       "in full.",
                 "zh": "截断 BPTT 只沿一个时间方向；双向模型的梯度总是完整显示。"},
    "dir_reverse": {"en": "← reverse", "zh": "← 反向"},
    "d_readout": {"en": "readout: yₜ = W_hy hₜ + b_y, then softmax gives the probabilities pₜ",
                  "zh": "输出层：yₜ = W_hy hₜ + b_y，再经 softmax 得到概率 pₜ"},
    "d_top": {"en": "the most probable output at this step", "zh": "这一步概率最大的输出"},
    # the step player
    "p_play": {"en": "Play", "zh": "播放"},
    "p_pause": {"en": "Pause", "zh": "暂停"},
    "p_speed": {"en": "Speed", "zh": "速度"},
    "p_first": {"en": "First step (Home)", "zh": "第一步（Home）"},
    "p_last": {"en": "Last step (End)", "zh": "最后一步（End）"},
    "p_prev": {"en": "Previous step (←)", "zh": "上一步（←）"},
    "p_next": {"en": "Next step (→)", "zh": "下一步（→）"},
    "p_step": {"en": "step", "zh": "时间步"},
    "p_keys": {"en": "← → Home End step anywhere on the page", "zh": "在页面任意处按 ← → Home End 切换时间步"},
    "nb_picture": {"en": "{cell}, layer {layer}: every gate and state over time, unit {unit} outlined, step t = {t} "
                         "marked",
                   "zh": "{cell}，第 {layer} 层：各门与状态随时间的变化，隐藏单元 {unit} 已框出，标出时间步 t = {t}"},
    "p_keys_inside": {"en": "← → Home End step once the player has the focus (click a token)",
                      "zh": "点击任一词元使播放器获得焦点后，按 ← → Home End 切换时间步"},  # a notebook widget
    "p_svg": {"en": "Diagram as SVG", "zh": "下载示意图（SVG）"},
    "p_window": {"en": "Steps {a}–{b} of {T} are loaded; go further to load the next ones.",
                 "zh": "已载入第 {a}–{b} 步（共 {T} 步）；继续前进会载入后面的步。"},
    "p_tokens": {"en": "The sequence (click a symbol to go to its step)", "zh": "序列（点击符号跳到该步）"},
    "p_top": {"en": "Top predictions at this step", "zh": "这一步的最高预测"},
    "p_equations": {"en": "Equations at this step", "zh": "这一步的公式"},
    "p_unk": {"en": "outside the vocabulary", "zh": "不在词表中"},
}


def tr(key: str, lang: str = "en", **fmt) -> str:
    s = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return s.format(**fmt) if fmt else s
