#include "commands.h"

#include "choiceoption.h"
#include "terminalprogress.h"
#include "upstep/train/pretrainer.h"

#include <iostream>

namespace upstep::cli {

void addPretrainCommand(CLI::App &app)
{
    auto config = std::make_shared<core::PretrainConfig>();
    auto *cmd = app.add_subcommand("pretrain", "Supervised training of a backbone and its head on a labeled folder "
                                               "(how the demo makes its MNIST base model)");
    cmd->add_option("--data", config->data, "Labeled folder, one sub-folder per class")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--test", config->test, "Labeled folder for the final head accuracy")->check(CLI::ExistingDirectory);
    cmd->add_option("--arch", config->arch, "Architecture: a preset or NAME,key=value,... (see `upstep info --help`)")
        ->required();
    cmd->add_option("--out", config->out, "Weights file to write (.safetensors)")->required();
    cmd->add_option("--epochs", config->epochs, "Passes over the data")->capture_default_str();
    cmd->add_option("--batch", config->batchSize, "Images per batch")->capture_default_str();
    cmd->add_option("--lr", config->learningRate, "AdamW learning rate")->capture_default_str();
    cmd->add_option("--seed", config->seed, "Seed")->check(CLI::NonNegativeNumber)->capture_default_str();
    addChoiceOption(*cmd, "--precision", config->precision, "auto, fp32 or bf16");
    cmd->add_option("--device", config->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--workers", config->workers, "Decoding threads")->capture_default_str();
    cmd->callback([config] {
        TerminalProgress progress;
        const auto summary = core::runPretraining(*config, progress.sink());
        progress.finish();
        std::cout << "pretrained " << summary.steps << " steps in " << formatDuration(summary.seconds) << " ("
                  << static_cast<int>(summary.imagesPerSecond) << " images/s), final loss " << summary.finalLoss;
        if (summary.testTop1 >= 0)
            std::cout << ", test top-1 " << 100 * summary.testTop1 << " %";
        std::cout << "\nwrote " << config->out.string() << "\n";
    });
}

} // namespace upstep::cli
